// Finds the stalls in a V8 .cpuprofile (node --cpu-prof): stretches where the main thread ran
// without a break (no "(idle)" sample) for at least minMs, each with what it spent its time on.
// A timer due during such a stretch fires only after it, so a trigger's lateness is at least
// the rest of the stretch: these are the turns that make the lateness tail. Sample timestamps
// are CLOCK_MONOTONIC microseconds; monoOffsetUs (cpu-profile.ts) maps wall-clock instants.

import { readCpuProfile, type ProfileNode } from './cpu-profile-tree.js';

export interface Stall {
  /** Start, ms relative to `originMs` (wall clock). */
  atMs: number;
  durationMs: number;
  /** The frames with the most samples in the stall, innermost function with its caller chain. */
  top: Array<{ stack: string; ms: number }>;
}

export interface StallOptions {
  fromMs: number;
  toMs: number;
  /** Wall-clock instant the stalls' atMs is relative to. */
  originMs: number;
  monoOffsetUs: number;
  /** A busy stretch at least this long is a stall. */
  minMs: number;
  /** Frames of the stack shown per entry (innermost first). */
  depth?: number;
}

export function findStalls(path: string, options: StallOptions): Stall[] {
  const { profile, byId, parent } = readCpuProfile(path);
  const toMono = (ms: number): number => ms * 1000 + options.monoOffsetUs;
  const from = toMono(options.fromMs);
  const to = toMono(options.toMs);
  const depth = options.depth ?? 4;
  const stalls: Stall[] = [];
  let run: { startUs: number; endUs: number; stacks: Map<string, number> } | undefined;
  const close = (): void => {
    if (run && (run.endUs - run.startUs) / 1000 >= options.minMs) {
      const top = [...run.stacks.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([stack, us]) => ({ stack, ms: Math.round(us / 100) / 10 }));
      stalls.push({ atMs: Math.round((run.startUs - options.monoOffsetUs) / 1000 - options.originMs), durationMs: Math.round((run.endUs - run.startUs) / 100) / 10, top });
    }
    run = undefined;
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') {
      close();
      continue;
    }
    run ??= { startUs: t, endUs: t, stacks: new Map() };
    run.endUs = t + span;
    const stack = stackOf(node.id, byId, parent, depth);
    run.stacks.set(stack, (run.stacks.get(stack) ?? 0) + span);
  }
  close();
  return stalls;
}

/** "inner < caller < caller's caller", file names shortened, (root) and (program) left out. */
function stackOf(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>, depth: number): string {
  const names: string[] = [];
  for (let at: number | undefined = id; at !== undefined && names.length < depth; at = parent.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (frame.functionName === '(root)') break;
    const file = frame.url ? frame.url.slice(frame.url.lastIndexOf('/') + 1) : '';
    names.push(`${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`);
  }
  return names.join(' < ');
}
