// A V8 .cpuprofile (node --cpu-prof) as read from its file, with its call tree indexed both ways.
// Both readers of the bench's profiles, the window summary (cpu-profile.ts) and the stall finder
// (profile-stalls.ts), walk the samples and climb from a sampled node to its callers, so the file
// format and the indexing are declared here once.

import { readFileSync } from 'node:fs';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  /** CLOCK_MONOTONIC microseconds, as are the sample times the deltas add up to. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileTree {
  profile: CpuProfile;
  byId: Map<number, ProfileNode>;
  /** Node id -> its caller's node id. */
  parent: Map<number, number>;
}

export function readCpuProfile(path: string): CpuProfileTree {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  return { profile, byId, parent };
}
