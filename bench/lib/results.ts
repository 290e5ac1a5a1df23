// The shape of one run's results file (bench/results/<date>-<machine>.json).

import type { BurstResult } from '../burst-delivery.js';
import type { WatchBurstResult } from '../burst-watch.js';
import type { BullmqResult, BullmqSteadyResult } from '../bullmq-compare.js';
import type { ClusterBurstResult, ClusterFailoverResult, ClusterThroughputResult } from '../cluster-bench.js';
import type { EngineCeilingResult } from '../engine-ceiling.js';
import type { MemoryResult } from '../memory-window.js';
import type { ThroughputResult } from '../scheduling-throughput.js';
import type { StagedMemoryResult } from '../staged-memory.js';
import type { SteadyProfile, SteadyResult } from '../steady-lateness.js';
import type { TenMillionResult } from '../ten-million.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { LoadSnapshot, MachineInfo, SourceInfo } from './machine.js';
import type { Verdict } from './targets.js';

export interface StageLoad {
  stage: string;
  start: LoadSnapshot;
  end: LoadSnapshot;
  durationS: number;
}

export interface ProfileRun {
  /** What the profiled run itself reached (the profiler costs some speed). */
  measured: string;
  summary: ProfileSummary;
}

export interface BenchResults {
  date: string;
  command: string;
  machine: MachineInfo;
  source: SourceInfo;
  build: string;
  notes: string[];
  load: { start: LoadSnapshot; end: LoadSnapshot; stages: StageLoad[] };
  throughput?: ThroughputResult;
  burst?: BurstResult;
  /** Stage burst-watch: the same burst over WatchJobs to an SDK listen() worker. */
  burstWatch?: WatchBurstResult;
  /** Stage bullmq: the burst on BullMQ (forwarded over HTTP, and in-process). */
  bullmq?: BullmqResult;
  /** Stage bullmq-steady-1k: the steady 1,000/s shape on BullMQ. */
  bullmqSteady?: BullmqSteadyResult;
  /** Stages cluster-throughput, cluster-burst and cluster-failover: on etcd (bench/cluster-bench.ts). */
  clusterThroughput?: ClusterThroughputResult;
  clusterBurst?: ClusterBurstResult;
  clusterFailover?: ClusterFailoverResult;
  memory?: MemoryResult;
  stagedMemory?: StagedMemoryResult;
  engineCeiling?: EngineCeilingResult;
  /** Stage ten-million: 10M jobs stored against an empty store (not in the default set). */
  tenMillion?: TenMillionResult;
  /** Stages steady-5k and steady-1k, in that order when both ran. */
  steady?: SteadyResult[];
  /** Their profiled runs (when a target was missed), by stage name. */
  steadyProfiles?: Record<string, SteadyProfile>;
  profiles: { throughput?: ProfileRun; burst?: ProfileRun; clusterBurst?: ProfileRun };
  errors: Array<{ stage: string; message: string }>;
  verdicts: Verdict[];
}
