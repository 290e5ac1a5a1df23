// The wire contract Duetime's server and this SDK share, exported as `@duetime/sdk/protocol`:
// the HTTP API's job JSON (the server's job view is this type), the .proto files and their
// loader, the JavaScript shapes of the gRPC messages, and the few protobuf encodings written by
// hand (google.protobuf.Value, google.rpc status details, Go durations). Pure apart from @grpc/*: the server imports it, so it never imports the server.
// Not a stable public API of the SDK; apps use the main export.

export { loadDuetimeProtos, LOADER_OPTIONS, PROTO_DIR, PROTO_FILES, RUNTIME_SERVICE, SCHEDULER_SERVICE, type DuetimeProtos } from './proto-loader.js';
export { formatGoDuration } from './go-duration-format.js';
export { decodeValue, encodeValue, encodeValueView, VALUE_TYPE_URL } from './protobuf-value.js';
export { ProtoWriter, readFields, type ProtoField } from './protobuf-wire.js';
export { decodeWatchJobsResponse, encodeWatchJobsResponse, encodeWatchJobsResponseInto, GRPC_HEADER_BYTES, type DecodedWatchJobsResponse, type MessageBatch, type WatchJobsResponseFields } from './watch-jobs-response-wire.js';
export { decodeWatchJobsResult, encodeWatchJobsResult, type DecodedWatchJobsResult, type WatchJobsResultStatus } from './watch-jobs-result-wire.js';
export * from './messages.js';
export type { FailurePolicy, HistoryEntry, Job, JobFields, JobSpec, JobStatus, JobTarget } from './job-json.js';
