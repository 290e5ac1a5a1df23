// The app that receives the steady-rate stages' jobs, as its own process:
// `node bench/steady-receiver.js [port]`, prints "listening <port>". Each job's data carries the
// instant it is due ({"due": <ms since the epoch>}), so lateness is measured against what the
// bench asked for, not against a header Duetime writes. For every POST /job/{name} it records
// the receive time (Date.now(), the wall clock Duetime compares due times with), the name, the
// due instant from the body and the duetime-attempt header, and answers 200 once the body is in.
//   GET /count  -> {"count": n}            cheap, polled while the jobs arrive
//   GET /stats  -> every record, column-wise {names, receivedAt, dueAt, attempts}

import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const names = [];
const receivedAt = [];
const dueAt = [];
const attempts = [];

const server = createServer((req, res) => {
  // Taken before the body is read: the moment the request reached this app.
  const at = Date.now();
  const url = req.url ?? '';
  if (req.method === 'POST' && url.startsWith('/job/')) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let due = null;
      try {
        const data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof data?.due === 'number') due = data.due;
      } catch {
        // recorded with due null: the bench counts it as unreadable
      }
      names.push(decodeURIComponent(url.slice('/job/'.length)));
      receivedAt.push(at);
      dueAt.push(due);
      attempts.push(Number(req.headers['duetime-attempt'] ?? 0));
      res.writeHead(200);
      res.end();
    });
    return;
  }
  if (req.method === 'GET' && url === '/count') return json(res, { count: names.length });
  if (req.method === 'GET' && url === '/stats') return json(res, { names, receivedAt, dueAt, attempts });
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
