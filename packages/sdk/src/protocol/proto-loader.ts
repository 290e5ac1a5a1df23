// Loads Duetime's own .proto files (proto/ at the @duetime/sdk package root) into the definitions that
// @grpc/grpc-js serves and calls: dapr.proto.runtime.v1.Dapr (jobs methods only) and
// dapr.proto.scheduler.v1.Scheduler. The files are wire-compatible with Dapr's; see
// docs/grpc.md and test/unit/grpc-protos/compat.test.ts.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClientConstructor, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';

/**
 * proto/ sits at the root of the @duetime/sdk package. This module runs as
 * src/protocol/proto-loader.ts (tsx, vitest) and as dist/protocol/proto-loader.js (built), both
 * two levels below that root, so one relative path serves both; the server reaches the same
 * files through `@duetime/sdk/protocol`. The package lists "proto" in its "files".
 */
export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');

/** Our files, relative to PROTO_DIR. Imports between them resolve from PROTO_DIR too. */
export const PROTO_FILES = [
  'dapr/proto/runtime/v1/duetime_jobs.proto',
  'dapr/proto/scheduler/v1/duetime_scheduler.proto',
] as const;

export const RUNTIME_SERVICE = 'dapr.proto.runtime.v1.Dapr';
export const SCHEDULER_SERVICE = 'dapr.proto.scheduler.v1.Scheduler';

/**
 * How messages look in JavaScript. The wire carries field numbers only, so none of these
 * choices affects compatibility with Dapr; they fix the shape our handlers see:
 * - keepCase false: camelCase fields (appId, dueTime, failurePolicy, typeUrl), as Dapr's JS
 *   SDK and our HTTP JSON use.
 * - longs String: uint64 trigger ids arrive as decimal strings, exact beyond 2^53; numbers are
 *   accepted when sending.
 * - enums String: 'SUCCESS', 'JOB_TARGET_TYPE_ACTOR_REMINDER'.
 * - defaults true: unset scalars read as '' / 0 / false, unset messages as null; fields with
 *   presence (proto3 `optional`, oneof members) stay absent when unset.
 * - oneofs true: each oneof also gets a property naming the member that is set, e.g.
 *   `watchJobRequestType: 'initial'`, and `_schedule: 'schedule'` for an optional field.
 * - bytes stay Buffers and Any is not expanded: handlers see `{ type_url, value }` and apply
 *   the mapping in docs/grpc.md. Note `type_url`, not `typeUrl`: the well-known types come
 *   from protobufjs's bundled definitions, which keepCase does not rename, and a `typeUrl`
 *   property is silently dropped when serialising.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export interface DuetimeProtos {
  /** Everything the files declare, keyed by full name, for grpc.loadPackageDefinition. */
  packageDefinition: PackageDefinition;
  /** dapr.proto.runtime.v1.Dapr, for server.addService on the runtime port. */
  runtimeService: ServiceDefinition;
  /** dapr.proto.scheduler.v1.Scheduler, for server.addService on the scheduler port. */
  schedulerService: ServiceDefinition;
  /** Client constructors built from the same definitions (tests, SDK). */
  RuntimeClient: ServiceClientConstructor;
  SchedulerClient: ServiceClientConstructor;
}

let cached: DuetimeProtos | undefined;

/** Parses the files once per process; later calls return the same objects. */
export function loadDuetimeProtos(): DuetimeProtos {
  if (cached) return cached;
  if (!existsSync(PROTO_DIR)) {
    throw new Error(`Duetime's .proto files were not found at ${PROTO_DIR}; the package is incomplete`);
  }
  const packageDefinition = loadSync([...PROTO_FILES], LOADER_OPTIONS);
  const runtimeService = serviceOf(packageDefinition, RUNTIME_SERVICE);
  const schedulerService = serviceOf(packageDefinition, SCHEDULER_SERVICE);
  cached = {
    packageDefinition,
    runtimeService,
    schedulerService,
    RuntimeClient: makeClientConstructor(runtimeService, RUNTIME_SERVICE),
    SchedulerClient: makeClientConstructor(schedulerService, SCHEDULER_SERVICE),
  };
  return cached;
}

function serviceOf(definition: PackageDefinition, name: string): ServiceDefinition {
  const entry = definition[name];
  // A service entry is a map of methods; message and enum entries carry a `format` field.
  if (!entry || 'format' in entry) throw new Error(`${name} is not a service in Duetime's .proto files`);
  return entry as ServiceDefinition;
}
