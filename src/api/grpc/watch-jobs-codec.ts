// The scheduler service's WatchJobs method with hand-written codecs on the hot path: each
// trigger goes out as bytes already encoded (watch-jobs.ts encodes them with
// encodeWatchJobsResponse, which writes what protobufjs would), and each `result` a client sends
// back is read by decodeWatchJobsResult. Anything else (the initial message, a result of an
// unusual shape, a response object) takes the generic protobufjs codec as before, so the wire
// and what the handler sees do not change.

import type { ServiceDefinition } from '@grpc/grpc-js';
import { decodeWatchJobsResult } from '@duetime/sdk/protocol';

export function withWatchJobsCodec(service: ServiceDefinition): ServiceDefinition {
  const method = service.WatchJobs;
  if (!method) throw new Error('the scheduler service has no WatchJobs method');
  const decode = method.requestDeserialize;
  const encode = method.responseSerialize;
  return {
    ...service,
    WatchJobs: {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => decodeWatchJobsResult(bytes) ?? decode(bytes),
      responseSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : encode(value)),
    },
  };
}
