// CPU time a process has used so far (user + system), from /proc/<pid>/stat. On a shared,
// loaded machine wall-clock rates swing with the neighbours' load; CPU time per operation swings
// much less, so the report gives both.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Seconds of CPU (user + system) used by pid; NaN when it cannot be read (not Linux, gone). */
export function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : cpuSecondsOfStat(`/proc/${pid}/stat`);
}

/** utime + stime of a /proc stat file (a process's or one thread's), in seconds. */
function cpuSecondsOfStat(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/**
 * Seconds of CPU used by pid's main thread alone (its task whose id is the pid): set beside
 * cpuSeconds(pid), it splits a Node process's time between the event loop and its other threads
 * (worker threads such as the SQLite writer, V8's GC helpers, libuv's pool). NaN when unreadable.
 */
export function mainThreadCpuSeconds(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : cpuSecondsOfStat(`/proc/${pid}/task/${pid}/stat`);
}

/** Microseconds of CPU per operation between two cpuSeconds() readings. */
export function cpuMicrosPer(before: number, after: number, operations: number): number {
  return Math.round(((after - before) * 1e6) / Math.max(1, operations));
}
