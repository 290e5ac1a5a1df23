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

import { listen } from '@duetime/sdk';
import { ArrivalRecords, serveArrivals } from './lib/arrival-records.js';

const [address, appId] = process.argv.slice(2);
if (!address || !appId) {
  console.error('usage: node bench/watch-receiver.js <schedulerAddress> <appId>');
  process.exit(2);
}

const records = new ArrivalRecords('scheduledAt');

const listener = listen({
  address,
  appId,
  handlers: {},
  fallback: (job) => {
    records.add(job.name, Date.now(), null, 0);
  },
  onError: (error) => console.error(`listen: ${error.message}`),
});

await listener.ready();
serveArrivals(records, { close: () => listener.close() });
