// A cluster of three Duetime replicas over one etcd. Each replica owns a share of the job
// partitions and fires only those jobs; any replica serves the whole API. The script starts the
// replicas and a small app, schedules 30 jobs through the first replica, shows which replica
// fired each, then stops everything.
//   ETCD=etcd://127.0.0.1:2379 node examples/cluster/start-cluster.mjs
// (etcd from your distribution: `apt install etcd-server`, or any etcd 3.4+.)

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const etcd = process.env.ETCD ?? 'etcd://127.0.0.1:2379';
const basePort = Number(process.env.BASE_PORT ?? 3501);
const duetime = fileURLToPath(new URL('../../bin/duetime.js', import.meta.url));
const JOBS = 30;

// The app: each replica calls it on its own path, so we can see who fired what.
const firedBy = new Map();
const app = createServer((req, res) => {
  const [, replica, , name] = (req.url ?? '').split('/');
  firedBy.set(decodeURIComponent(name), replica);
  req.resume();
  res.writeHead(200).end();
});
await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
const appUrl = `http://127.0.0.1:${app.address().port}`;

const replicas = [1, 2, 3].map((i) => {
  const port = basePort + i - 1;
  // prettier-ignore
  const child = spawn(process.execPath, [duetime, 'serve', '--store', etcd, '--port', String(port), '--grpc-port', '0', '--scheduler-port', '0', '--app-url', `${appUrl}/replica-${i}`, '--log-level', 'warn'], { stdio: 'inherit' });
  return { name: `replica-${i}`, url: `http://127.0.0.1:${port}`, child };
});
const stopAll = () => {
  for (const r of replicas) r.child.kill('SIGTERM');
  app.close();
};
process.on('SIGINT', () => (stopAll(), process.exit(130)));

// Ready = registered in the cluster and watching it.
for (const r of replicas) {
  for (let tries = 0; ; tries++) {
    if (tries > 600) throw new Error(`${r.name} did not become ready in 60 s`);
    const ok = await fetch(`${r.url}/readyz`).then((res) => res.ok, () => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const view = await (await fetch(`${replicas[0].url}/v1.0/cluster`)).json();
console.log(`cluster of ${view.members.length}: ${view.members.map((m) => `${m.partitions.length} partitions`).join(', ')}`);

const due = new Date(Date.now() + 2_000).toISOString();
for (let i = 0; i < JOBS; i++) {
  const response = await fetch(`${replicas[0].url}/v1.0/jobs/order-${i}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dueTime: due, data: { order: i }, overwrite: true }),
  });
  if (!response.ok) throw new Error(`schedule order-${i}: ${response.status} ${await response.text()}`);
}
console.log(`scheduled ${JOBS} jobs through replica-1, due at ${due}`);

const deadline = Date.now() + 30_000;
while (firedBy.size < JOBS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
const counts = {};
for (const replica of firedBy.values()) counts[replica] = (counts[replica] ?? 0) + 1;
console.log(`fired ${firedBy.size} of ${JOBS}: ${Object.entries(counts).sort().map(([r, n]) => `${r} ${n}`).join(', ')}`);
stopAll();
if (firedBy.size === JOBS) console.log('done: every job fired, each by the replica that owns it');
else process.exitCode = 1;
