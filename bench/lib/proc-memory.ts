// A process's memory as the kernel sees it, from /proc/<pid>/status: resident set split into
// anonymous memory (heap, malloc arenas, stacks) and file-backed pages (the node binary, shared
// libraries, mapped files), and the peak resident set since the process started.

import { readFileSync } from 'node:fs';

export interface ProcMemory {
  rssBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  /** VmHWM: the highest resident set the process has had. */
  peakRssBytes: number;
  /**
   * Anonymous resident memory by kind of mapping (from /proc/<pid>/smaps): the brk heap (glibc
   * malloc's main arena), unnamed mmaps (V8's heap pages, other malloc arenas, large mallocs),
   * and the rest (stacks, anonymous parts of file mappings).
   */
  anon: { brkHeapBytes: number; unnamedMmapBytes: number; otherBytes: number };
}

/** NaN fields when /proc cannot be read (not Linux, process gone). */
export function procMemory(pid: number | undefined): ProcMemory {
  const anon = { brkHeapBytes: Number.NaN, unnamedMmapBytes: Number.NaN, otherBytes: Number.NaN };
  const out: ProcMemory = { rssBytes: Number.NaN, rssAnonBytes: Number.NaN, rssFileBytes: Number.NaN, peakRssBytes: Number.NaN, anon };
  if (pid === undefined) return out;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return out;
  }
  const kib = (field: string): number => {
    const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rssBytes: kib('VmRSS'), rssAnonBytes: kib('RssAnon'), rssFileBytes: kib('RssFile'), peakRssBytes: kib('VmHWM'), anon: anonByMapping(pid) };
}

function anonByMapping(pid: number): ProcMemory['anon'] {
  const sums = { brkHeapBytes: 0, unnamedMmapBytes: 0, otherBytes: 0 };
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return { brkHeapBytes: Number.NaN, unnamedMmapBytes: Number.NaN, otherBytes: Number.NaN };
  }
  let kind: keyof typeof sums = 'otherBytes';
  for (const line of text.split('\n')) {
    // A mapping's header: "start-end perms offset dev inode [name]".
    const header = line.match(/^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/);
    if (header) {
      const name = header[1]!.trim();
      kind = name === '[heap]' ? 'brkHeapBytes' : name === '' ? 'unnamedMmapBytes' : 'otherBytes';
      continue;
    }
    const anonymous = line.match(/^Anonymous:\s+(\d+) kB/);
    if (anonymous) sums[kind] += Number(anonymous[1]) * 1024;
  }
  return sums;
}
