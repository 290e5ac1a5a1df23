// The app that receives the burst, as its own process: `node bench/burst-receiver.js [port]`,
// prints "listening <port>". For every POST /job/{name} it records the receive time (Date.now(),
// the same wall clock Duetime stamps duetime-scheduled-time with), the job name, the
// duetime-scheduled-time header and the duetime-attempt header, and answers 200.
//   GET /count  -> {"count": n}            cheap, polled while the burst drains
//   GET /stats  -> every record, column-wise {names, receivedAt, scheduledAt, attempts}

import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const names = [];
const receivedAt = [];
const scheduledAt = [];
const attempts = [];

const server = createServer((req, res) => {
  const at = Date.now();
  const url = req.url ?? '';
  if (req.method === 'POST' && url.startsWith('/job/')) {
    names.push(decodeURIComponent(url.slice('/job/'.length)));
    receivedAt.push(at);
    const scheduled = req.headers['duetime-scheduled-time'];
    scheduledAt.push(typeof scheduled === 'string' ? Date.parse(scheduled) : null);
    attempts.push(Number(req.headers['duetime-attempt'] ?? 0));
    req.resume();
    req.on('end', () => {
      res.writeHead(200);
      res.end();
    });
    return;
  }
  if (req.method === 'GET' && url === '/count') return json(res, { count: names.length });
  if (req.method === 'GET' && url === '/stats') return json(res, { names, receivedAt, scheduledAt, attempts });
  res.writeHead(404);
  res.end();
});

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.once('SIGTERM', () => process.exit(0));
