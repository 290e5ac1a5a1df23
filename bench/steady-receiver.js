// The app that receives the steady-rate stages' jobs, as its own process:
// `node bench/steady-receiver.js [port]`, prints "listening <port>". Each job's data carries the
// instant it is due ({"due": <ms since the epoch>}), so lateness is measured against what the
// bench asked for, not against a header Duetime writes. For every POST /job/{name} it records
// the receive time (Date.now(), the wall clock Duetime compares due times with), the name, the
// due instant from the body and the duetime-attempt header, and answers 200 once the body is in.
//   GET /count  -> {"count": n}            cheap, polled while the jobs arrive
//   GET /stats  -> every record, column-wise {names, receivedAt, dueAt, attempts}

import { Buffer } from 'node:buffer';
import { ArrivalRecords, serveArrivals } from './lib/arrival-records.js';

const records = new ArrivalRecords('dueAt');

serveArrivals(records, {
  port: Number(process.argv[2] ?? 0),
  // `at` is taken before the body is read: the moment the request reached this app.
  onJob: (req, res, name, at) => {
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
      records.add(name, at, due, Number(req.headers['duetime-attempt'] ?? 0));
      res.writeHead(200);
      res.end();
    });
  },
});
