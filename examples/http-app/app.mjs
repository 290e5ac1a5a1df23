// An HTTP app: it serves Duetime's job callbacks (POST /job/{name}) with the SDK's jobHandler,
// registers its URL with Duetime, schedules two jobs for itself and exits once their four
// triggers have arrived.
//   DUETIME_URL=http://127.0.0.1:3500 APP_PORT=8080 node examples/http-app/app.mjs

import { createServer } from 'node:http';
import { DuetimeClient, jobHandler } from '@duetime/sdk';

const duetimeUrl = process.env.DUETIME_URL ?? 'http://127.0.0.1:3500';
const port = Number(process.env.APP_PORT ?? 8080);
const appId = 'http-example';
const jobs = new DuetimeClient({ baseUrl: duetimeUrl, appId });

let remaining = 4; // one "welcome" and three "heartbeat" ticks
const received = (job) => {
  console.log(`received ${job.name} attempt ${job.attempt}, scheduled ${job.scheduledTime.toISOString()}, data ${JSON.stringify(job.data)}`);
  if (--remaining === 0) {
    // After this handler returns, jobHandler answers 200: leave a moment for that answer.
    setTimeout(() => {
      console.log('done: every trigger arrived');
      process.exit(0);
    }, 200);
  }
};

const server = createServer(jobHandler({ welcome: received, heartbeat: received }));
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));

// Tell Duetime where this app is (once; the registration is kept in Duetime's store).
const registered = await fetch(`${duetimeUrl}/v1.0/apps/${appId}`, {
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ url: `http://127.0.0.1:${port}` }),
});
if (!registered.ok) throw new Error(`registering the app failed: ${registered.status} ${await registered.text()}`);

await jobs.schedule('welcome', { dueTime: '2s', data: { greeting: 'hello' }, overwrite: true });
await jobs.schedule('heartbeat', { schedule: '@every 1s', repeats: 3, overwrite: true });
console.log(`listening on ${port}; scheduled welcome (in 2 s) and heartbeat (every second, 3 times)`);
