// `@duetime/sdk/http`: the HTTP client alone. The main entry also exports the gRPC client and
// listen(), and loading it loads @grpc/grpc-js, @grpc/proto-loader and protobufjs (about 0.3 s
// on a 2-core machine) even for an app, script or command that only speaks HTTP; this entry
// imports no package at all (test/unit/grpc/sdk-imports.test.ts). The classes are the same ones
// the main entry exports.
export { DuetimeClient, DEFAULT_BASE_URL, type DuetimeClientOptions } from './client.js';
export { DuetimeApiError } from './api-error.js';
export type { Addresses } from './addresses.js';
export type { FailurePolicy, HistoryEntry, Job, JobFields, JobPage, JobSpec, JobStatus, JobTarget, ListOptions } from './types.js';
