// The steady stages' trace report (bench/lib/steady-trace.ts) on trace files written by hand:
// each line of a process's file is tagged with its thread, and an episode lists the pauses of
// every process around it, on the one wall clock, with the CPU split between them.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTrace, traceReport } from '../../../bench/lib/steady-trace.js';

const T0 = 1_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function traceDir(files: Record<string, object[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-steady-trace-'));
  dirs.push(dir);
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

/** CPU samples every 100 ms from 1 s before T0 to 2 s after it: `perSample` ticks of 10 ms each time. */
function cpu(perSample: { ticks: number; proc?: number; busy?: number }): object[] {
  const samples: object[] = [];
  for (let i = 0; i <= 30; i++) {
    const sample: Record<string, number | string> = { type: 'cpu', at: T0 - 1_000 + i * 100, ticks: i * perSample.ticks };
    if (perSample.proc !== undefined) sample.proc = i * perSample.proc;
    if (perSample.busy !== undefined) sample.busy = i * perSample.busy;
    samples.push(sample);
  }
  return samples;
}

describe('traceReport', () => {
  const dir = (): string =>
    traceDir({
      '10-0.jsonl': [{ type: 'start', at: T0 - 2_000, argv: '/x/bin/duetime.js serve', main: true }, { type: 'gc', at: T0 + 490, ms: 3.5, kind: 1 }, { type: 'gap', at: T0 + 495, ms: 12 }, ...cpu({ ticks: 4, proc: 9 })],
      '10-1.jsonl': [{ type: 'start', at: T0 - 2_000, argv: '/x/bin/duetime.js serve', main: false }, { type: 'commit', at: T0 + 520, ms: 19.4 }, { type: 'commit', at: T0 + 530, ms: 0.5 }, ...cpu({ ticks: 2 })],
      '11-0.jsonl': [{ type: 'start', at: T0 - 2_000, argv: '/x/bench/steady-receiver.js', main: true }, { type: 'gap', at: T0 + 500, ms: 21.9 }, ...cpu({ ticks: 2, proc: 2, busy: 12 })],
      '12-0.jsonl': [{ type: 'start', at: T0 - 2_000, argv: '/x/bench/stall-canary.js', main: true }, { type: 'gap', at: T0 + 498, ms: 20 }],
    });

  it('tags each entry with its process and thread', () => {
    const threads = new Set(readTrace(dir()).map((e) => e.thread));
    expect(threads).toEqual(new Set(['SRV', 'SRV-writer', 'RCV', 'CANARY']));
  });

  it("lists every process's pauses of 5 ms or more around an episode, on one clock, and splits the CPU", () => {
    const lines = traceReport(dir(), T0, T0 + 1_500, [{ atMs: 500, spanMs: 40, jobs: 200, maxLateMs: 30 }], 2_000);
    expect(lines[0]).toMatch(/SRV scavenge 1 \(max 3\.5/);
    expect(lines[0]).toMatch(/SRV-writer commit 2 \(max 19\.4/);
    // Duetime's process: 9 ticks of 10 ms per 100 ms = 90% of a core, of which its main thread 40
    // and the writer 20, so 30 in its other threads; the machine 120%, ours 110%.
    expect(lines[1]).toMatch(/Duetime 90% \(main 40%, writer 20%, other threads 30%\), receiver 20%, others 10% of one core/);
    // 90% of a core over the 2,000 ms from the lead-in's start: 1,800 ms of CPU for 2,000 triggers.
    expect(lines[1]).toMatch(/per trigger: Duetime 900\.0 us/);
    const episode = lines.slice(2).join('\n');
    expect(episode).toMatch(/episode at 500 ms \(200 jobs, up to 30 ms late\)/);
    expect(episode).toMatch(/495 ms {2}SRV {8}gap 12 ms/);
    expect(episode).toMatch(/498 ms {2}CANARY {5}gap 20 ms/);
    expect(episode).toMatch(/500 ms {2}RCV {8}gap 21\.9 ms/);
    expect(episode).toMatch(/520 ms {2}SRV-writer commit 19\.4 ms/);
    expect(episode).not.toMatch(/scavenge 3\.5/); // under 5 ms: counted, not listed
    expect(episode).not.toMatch(/commit 0\.5/);
  });
});
