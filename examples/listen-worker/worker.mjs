// A worker with no inbound port: it dials Duetime's scheduler API with listen() and receives its
// triggers over the stream. It schedules three one-shot jobs and exits once all have arrived.
//   DUETIME_URL=http://127.0.0.1:3500 DUETIME_SCHEDULER_ADDRESS=127.0.0.1:50006 node examples/listen-worker/worker.mjs

import { DuetimeClient, listen } from '@duetime/sdk';

const appId = 'worker-example';
const jobs = new DuetimeClient({ baseUrl: process.env.DUETIME_URL ?? 'http://127.0.0.1:3500', appId });

const pending = new Set(['send-email-1', 'send-email-2', 'send-email-3']);
// A handler that resolves acks the trigger; one that throws makes Duetime retry per the job's policy.
const sendEmail = async (job) => {
  console.log(`handling ${job.name} with ${JSON.stringify(job.data)}`);
  pending.delete(job.name);
  if (pending.size === 0) setImmediate(finish);
};
const listener = listen({
  address: process.env.DUETIME_SCHEDULER_ADDRESS ?? '127.0.0.1:50006',
  appId,
  handlers: Object.fromEntries([...pending].map((name) => [name, sendEmail])), // job name -> handler
  onError: (error) => console.warn(`stream: ${error.message}`),
});

async function finish() {
  await listener.close(); // lets the last handler's ack go out first
  console.log('done: every trigger arrived');
}

await listener.ready();
for (const [i, name] of [...pending].entries()) {
  await jobs.schedule(name, { dueTime: `${i + 1}s`, data: { to: `user${i + 1}@example.com` }, overwrite: true });
}
console.log('connected; scheduled three emails, 1, 2 and 3 s from now');
