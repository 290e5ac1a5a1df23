// `npm run chaos`: the fault suite outside `npm test`. Runs each scenario (kill -9 loops under
// load, with a ledger), prints the counts, writes chaos/results/<date>-<machine>.{json,md}, and
// exits 1 when any promise broke (a lost, early, unknown or deleted-then-delivered tick).
//   npm run chaos -- --scenarios single --kills 10
// Every loop is bounded in count and in time; the scenarios stop what they started.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSnapshot, machineInfo, machineLabel, sourceInfo } from '../bench/lib/machine.js';
import { clusterChaos } from './cluster.js';
import type { ScenarioResult } from './scenario.js';
import { singleNodeChaos } from './single-node.js';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'single,cluster' },
    kills: { type: 'string', default: '20' },
    cycles: { type: 'string', default: '15' },
    'max-minutes': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
  },
});
const maxMs = Number(values['max-minutes']) * 60_000;
const concurrency = Number(values.concurrency);
const scenarios = values.scenarios.split(',');

const startedAt = new Date();
const results: ScenarioResult[] = [];
if (scenarios.includes('single')) results.push(await singleNodeChaos({ kills: Number(values.kills), maxMs, concurrency }));
if (scenarios.includes('cluster')) results.push(await clusterChaos({ cycles: Number(values.cycles), maxMs, concurrency }));

const machine = machineInfo();
const source = sourceInfo();
const broken = (r: ScenarioResult): number => r.verdict.lost + r.verdict.early + r.verdict.unknownTicks + r.verdict.afterDelete;

const lines = [
  `# Duetime chaos run, ${startedAt.toISOString().slice(0, 10)}`,
  '',
  `Command: \`npm run chaos -- ${process.argv.slice(2).join(' ')}\``.replace(/ -- `$/, '`'),
  '',
  `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}. Source ${source.commit.slice(0, 12)}${source.dirty ? ' (with uncommitted changes)' : ''}. Load at the end: ${loadSnapshot().uptime}`,
  '',
  '| scenario | faults | duration | requests | acknowledged jobs | acknowledged ticks | deletes acknowledged | deliveries | lost | early | unknown tick | after delete | duplicates | lateness p50 / p99 / max |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const v = r.verdict;
    const faults = Object.entries(r.faults).map(([k, n]) => `${n} ${k}`).join(', ');
    return `| ${r.name} | ${faults} | ${Math.round(r.durationMs / 1000)} s | ${r.requests} | ${v.acknowledged} | ${v.acknowledgedTicks} | ${v.deletesAcknowledged} | ${v.deliveries} | **${v.lost}** | **${v.early}** | **${v.unknownTicks}** | **${v.afterDelete}** | ${v.duplicates} | ${r.lateness.p50} / ${r.lateness.p99} / ${r.lateness.max} ms |`;
  }),
  '',
  ...results.flatMap((r) => {
    const examples = Object.entries(r.verdict.examples).filter(([, list]) => list.length > 0);
    const notes = r.notes.map((n) => `- note: ${n}`);
    return examples.length || notes.length ? [`## ${r.name}`, '', ...examples.map(([kind, list]) => `- ${kind}: ${list.join('; ')}`), ...notes, ''] : [];
  }),
];
const report = lines.join('\n');
console.log(report);

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const base = join(dir, `${startedAt.toISOString().slice(0, 10)}-${machineLabel(machine)}`);
writeFileSync(`${base}.md`, `${report}\n`);
writeFileSync(`${base}.json`, `${JSON.stringify({ startedAt, machine, source, results }, null, 2)}\n`);
console.log(`written ${base}.md and .json`);
process.exit(results.some((r) => broken(r) > 0) ? 1 : 0);
