// Summarises a V8 .cpuprofile (node --cpu-prof): where the samples of a time window went, by
// function (self time, and total time including callees) and by package. Sample timestamps are
// CLOCK_MONOTONIC microseconds, the clock of process.hrtime(), so a wall-clock window measured by
// the bench maps onto them through monoOffsetUs() taken in the bench's own process.

import { readCpuProfile, type CallFrame, type ProfileNode } from './cpu-profile-tree.js';
import { PROJECT_DIR } from './duetime-server.js';

export interface FunctionTime {
  function: string;
  where: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window. */
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  gcMs: number;
  topSelf: FunctionTime[];
  /** Total (inclusive) time of Duetime's own functions: which of its code paths costs most. */
  topTotalDuetime: FunctionTime[];
  byPackage: Array<{ package: string; ms: number; percent: number }>;
}

/** CLOCK_MONOTONIC microseconds minus wall-clock microseconds, in this process. */
export function monoOffsetUs(): number {
  return Number(process.hrtime.bigint() / 1000n) - Date.now() * 1000;
}

export interface SummaryOptions {
  /** Wall-clock window, ms since the epoch; with monoOffsetUs from the process that measured it. */
  fromMs?: number;
  toMs?: number;
  monoOffsetUs?: number;
  top?: number;
}

export function summariseProfile(path: string, options: SummaryOptions = {}): ProfileSummary {
  const { profile, byId, parent } = readCpuProfile(path);
  const top = options.top ?? 15;
  const offset = options.monoOffsetUs ?? 0;
  const from = options.fromMs === undefined ? -Infinity : options.fromMs * 1000 + offset;
  const to = options.toMs === undefined ? Infinity : options.toMs * 1000 + offset;

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const packages = new Map<string, number>();
  let windowUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) continue;
    windowUs += span;
    const node = byId.get(profile.samples[i]!)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idleUs += span;
      continue;
    }
    if (name === '(garbage collector)') gcUs += span;
    // A native function (a C++ addon's method, a V8 builtin) is named with its JS caller, which
    // tells, say, a COMMIT's fsync from an INSERT: both are better-sqlite3's native run().
    const caller = isNative(node.callFrame) ? nearestScripted(node.id, byId, parent) : undefined;
    const key = functionKey(node.callFrame, caller);
    self.set(key, (self.get(key) ?? 0) + span);
    const pkg = caller ? `${packageOf(caller)} (native calls)` : packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + span);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!isDuetime(frame)) continue;
      const k = functionKey(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + span);
    }
  }
  const busyUs = windowUs - idleUs;
  const rank = (map: Map<string, number>): FunctionTime[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => {
        const [fn, where] = key.split('\u0000') as [string, string];
        return { function: fn, where, ms: Math.round(us / 100) / 10, percent: Math.round((1000 * us) / Math.max(1, busyUs)) / 10 };
      });
  return {
    windowMs: Math.round(windowUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    gcMs: Math.round(gcUs / 1000),
    topSelf: rank(self),
    topTotalDuetime: rank(total),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([pkg, us]) => ({ package: pkg, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / Math.max(1, busyUs)) / 10 })),
  };
}

function functionKey(frame: CallFrame, caller?: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  const where = frame.url
    ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    : caller
      ? `native, called from ${caller.functionName || '(anonymous)'} ${shortUrl(caller.url)}:${caller.lineNumber + 1}`
      : '';
  return `${name}\u0000${where}`;
}

function isNative(frame: CallFrame): boolean {
  return frame.url === '' && !frame.functionName.startsWith('(');
}

function nearestScripted(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): CallFrame | undefined {
  for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (frame.url !== '') return frame;
  }
  return undefined;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  return path.startsWith(PROJECT_DIR) ? path.slice(PROJECT_DIR.length + 1) : path;
}

function isDuetime(frame: CallFrame): boolean {
  return frame.url.includes(`${PROJECT_DIR}/dist/`);
}

/** The npm package, "duetime" for our own build, "node" for Node's internals, or the V8 pseudo-frame. */
function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (isDuetime(frame)) return 'duetime';
  return url;
}
