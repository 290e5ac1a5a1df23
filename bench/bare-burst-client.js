// The burst's peer: what a bare undici Pool needs to POST the burst to the same receiver, with no
// scheduler in between. Its own process, as Duetime is:
//   node bench/bare-burst-client.js <receiverUrl> <jobs> <connections> <warmupJobs> <rounds>
// Each request is what Duetime sends for a burst job: POST /job/<name> with the job's data as
// JSON and the same headers. First warmupJobs requests (names barewarm-<i>) open the connections
// and warm the JIT, as Duetime's warm-up does; then `rounds` rounds of `jobs` requests (names
// bare<round>-<i>), each with `connections` in flight, one round after the other. Prints one line
// per round: `round {"round":r,"startedAt":ms,"endedAt":ms,"statuses":{...},"errors":n,"cpuMicros":µs}`,
// then `done`; cpuMicros is this process's CPU (user + system) over the round, the steadier
// figure on a shared machine, set against Duetime's CPU per delivery.
// The receiver's records of bare<round>-* say when each arrived; startedAt is the "due instant".

import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

const [url, jobsArg, connectionsArg, warmupArg, roundsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const connections = Number(connectionsArg);
const warmupJobs = Number(warmupArg);
const rounds = Number(roundsArg ?? 1);
if (!url || !(jobs > 0) || !(connections > 0) || !(warmupJobs >= 0) || !(rounds > 0)) {
  console.error('usage: node bench/bare-burst-client.js <receiverUrl> <jobs> <connections> <warmupJobs> <rounds>');
  process.exit(2);
}

const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });

/** Sends count requests named prefix<i>, `connections` at a time; the scheduled-time header is the given instant. */
async function send(prefix, count, scheduledAt) {
  const iso = new Date(scheduledAt).toISOString();
  const statuses = {};
  let errors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      try {
        const response = await pool.request({
          path: `/job/${prefix}${i}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'duetime-scheduled-time': iso, 'duetime-attempt': '1', 'duetime-trigger-id': `${prefix}${i}-1` },
          body: JSON.stringify({ i }),
        });
        await response.body.dump();
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { statuses, errors };
}

await send('barewarm-', warmupJobs, Date.now());
for (let round = 1; round <= rounds; round++) {
  // A pause between rounds, as the burst's due instant comes after a quiet wait.
  await sleep(500);
  const cpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  const { statuses, errors } = await send(`bare${round}-`, jobs, startedAt);
  const endedAt = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`round ${JSON.stringify({ round, startedAt, endedAt, statuses, errors, cpuMicros: cpu.user + cpu.system })}`);
}
await pool.close();
console.log('done');
