// Duetime's TypeScript SDK: the package's main export. Free of server code: it speaks Duetime's
// HTTP API (DuetimeClient), the jobs methods of its gRPC runtime API (DuetimeGrpcClient), its
// scheduler API's WatchJobs stream (listen), and serves the HTTP callbacks Duetime makes to apps
// (jobHandler).

export { DuetimeClient, DEFAULT_BASE_URL, type DuetimeClientOptions } from './client.js';
export { DuetimeGrpcClient, DEFAULT_GRPC_ADDRESS, type DuetimeGrpcClientOptions, type GrpcJobPage } from './grpc-client.js';
export type { GrpcFailurePolicy, GrpcJob } from './grpc-job.js';
export { DuetimeApiError } from './api-error.js';
export { listen, DEFAULT_SCHEDULER_ADDRESS, type JobListener, type ListenerConnection, type ListenOptions } from './listen.js';
export type { ApiTokenFunction, ApiTokenOption } from './api-token.js';
export { jobHandler, type JobHandlerOptions, type JobRequestHandler, type RequestLike, type ResponseLike } from './job-handler.js';
export type { JobHandlerFunction, JobHandlers, JobTrigger } from './job-trigger.js';
export type { BackoffOptions } from './backoff.js';
export type { Addresses } from './addresses.js';
export type { FailurePolicy, HistoryEntry, Job, JobFields, JobPage, JobSpec, JobStatus, JobTarget, ListOptions } from './types.js';
