// The baseline for the scheduling-throughput bench: a bare node:http server that reads the
// request body and answers 204, nothing else. It is the most one Node process can answer on this
// machine, so Duetime's rate is reported as a fraction of it as well as in requests per second.
// Run as its own process: `node bench/bare-server.js [port]`; prints "listening <port>".

import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 204;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.once('SIGTERM', () => process.exit(0));
