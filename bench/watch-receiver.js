// The app that receives a burst over WatchJobs, as its own process: an SDK listen() worker
// (@duetime/sdk, its built dist/) with no inbound port for triggers.
//   node bench/watch-receiver.js <schedulerAddress> <appId>
// Every trigger goes to the fallback handler, which records the job name and Date.now() (the
// same wall clock Duetime's due instants are in) and resolves at once, so the trigger is acked
// SUCCESS. A small HTTP server on a free loopback port answers the bench's questions, as
// bench/burst-receiver.js does:
//   GET /count -> {"count": n}
//   GET /stats -> every record, column-wise {names, receivedAt, scheduledAt, attempts}
// (the stream carries no scheduled time or attempt: scheduledAt is null, attempts 0).
// Prints "listening <port>" once the stream is accepted (listener.ready()).

import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { listen } from '@duetime/sdk';

const [address, appId] = process.argv.slice(2);
if (!address || !appId) {
  console.error('usage: node bench/watch-receiver.js <schedulerAddress> <appId>');
  process.exit(2);
}

const names = [];
const receivedAt = [];

const listener = listen({
  address,
  appId,
  handlers: {},
  fallback: (job) => {
    receivedAt.push(Date.now());
    names.push(job.name);
  },
  onError: (error) => console.error(`listen: ${error.message}`),
});

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') return json(res, { count: names.length });
  if (req.method === 'GET' && req.url === '/stats') {
    return json(res, { names, receivedAt, scheduledAt: names.map(() => null), attempts: names.map(() => 0) });
  }
  res.writeHead(404);
  res.end();
});

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

await listener.ready();
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.once('SIGTERM', () => {
  void listener.close().finally(() => process.exit(0));
});
