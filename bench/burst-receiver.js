// The app that receives the burst, as its own process: `node bench/burst-receiver.js [port]`,
// prints "listening <port>". For every POST /job/{name} (or /{via}/job/{name}: the cluster bench
// gives each replica its own prefix) it records the receive time (Date.now(), the same wall clock
// Duetime stamps duetime-scheduled-time with), the job name, the duetime-scheduled-time header,
// the duetime-attempt header and the prefix, and answers 200.
//   GET /count  -> {"count": n}            cheap, polled while the burst drains
//   GET /stats  -> every record, column-wise {names, receivedAt, scheduledAt, attempts}

import { ArrivalRecords, serveArrivals } from './lib/arrival-records.js';

const records = new ArrivalRecords('scheduledAt');

serveArrivals(records, {
  port: Number(process.argv[2] ?? 0),
  onJob: (req, res, name, at, via) => {
    const scheduled = req.headers['duetime-scheduled-time'];
    records.add(name, at, typeof scheduled === 'string' ? Date.parse(scheduled) : null, Number(req.headers['duetime-attempt'] ?? 0), via);
    req.resume();
    req.on('end', () => {
      res.writeHead(200);
      res.end();
    });
  },
});
