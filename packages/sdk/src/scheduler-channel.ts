// A client of Duetime's scheduler API (dapr.proto.scheduler.v1.Scheduler) for one address, as
// listen() uses it for WatchJobs and WatchHosts. Clients to one address made here share one
// connection (grpc-js pools subchannels of equal target and options).

import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream, type ClientReadableStream } from '@grpc/grpc-js';
import { loadDuetimeProtos } from './protocol/proto-loader.js';
import type { BackoffOptions } from './backoff.js';
import type { WatchJobsResponse } from './watch-message.js';

export type WatchJobsCall = ClientDuplexStream<unknown, WatchJobsResponse>;
export type WatchHostsCall = ClientReadableStream<{ hosts?: Array<{ address?: string }> | null }>;

export type SchedulerClient = Client & {
  WatchJobs(metadata: Metadata): WatchJobsCall;
  WatchHosts(request: object, metadata: Metadata): WatchHostsCall;
};

export function schedulerClient(address: string, credentials: ChannelCredentials | undefined, reconnect: BackoffOptions | undefined): SchedulerClient {
  const { SchedulerClient } = loadDuetimeProtos();
  // The channel's own reconnect backoff follows ours, so a restarted server is found as soon
  // as our next attempt, not after grpc-js's default of up to two minutes.
  return new SchedulerClient(address, credentials ?? grpcCredentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': reconnect?.initialMs ?? 250,
    'grpc.max_reconnect_backoff_ms': reconnect?.maxMs ?? 10_000,
    'grpc.keepalive_time_ms': 30_000,
  }) as unknown as SchedulerClient;
}

export function callMetadata(apiToken: string | undefined): Metadata {
  const metadata = new Metadata();
  if (apiToken) metadata.set('dapr-api-token', apiToken);
  return metadata;
}
