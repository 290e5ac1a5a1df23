// A client of Duetime's scheduler API (dapr.proto.scheduler.v1.Scheduler) for one address, as
// listen() uses it for WatchJobs and WatchHosts. Clients to one address made here share one
// connection (grpc-js pools subchannels of equal target and options). WatchJobs on a plaintext
// host:port goes over node:http2 directly instead (h2-watch-jobs.ts says why); with credentials,
// or an address grpc-js resolves itself (dns:, unix:, ...), it goes through grpc-js.

import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream, type ClientReadableStream } from '@grpc/grpc-js';
import { loadDuetimeProtos } from './protocol/proto-loader.js';
import type { BackoffOptions } from './backoff.js';
import { H2WatchJobsChannel, plainAddress } from './h2-watch-jobs.js';
import type { WatchJobsResponse } from './watch-message.js';

/** What WatchConnection uses of a WatchJobs call: grpc-js's ClientDuplexStream, or an H2WatchJobsCall. */
export interface WatchJobsCall {
  on(event: 'metadata', listener: (headers: Metadata) => void): this;
  on(event: 'data', listener: (message: WatchJobsResponse) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  once(event: 'status' | 'error', listener: () => void): this;
  write(message: object): boolean;
  end(): void;
  cancel(): void;
  readonly writableEnded: boolean;
}

/** Where a WatchConnection opens its calls, one at a time. */
export interface WatchJobsChannel {
  call(apiToken: string | undefined): WatchJobsCall;
  close(): void;
}

export function watchJobsChannel(address: string, credentials: ChannelCredentials | undefined, reconnect: BackoffOptions | undefined): WatchJobsChannel {
  if (!credentials && plainAddress(address)) return new H2WatchJobsChannel(address);
  const client = schedulerClient(address, credentials, reconnect);
  return {
    call: (apiToken) => client.WatchJobs(callMetadata(apiToken)) as unknown as WatchJobsCall,
    close: () => client.close(),
  };
}
export type WatchHostsCall = ClientReadableStream<{ hosts?: Array<{ address?: string }> | null }>;

export type SchedulerClient = Client & {
  WatchJobs(metadata: Metadata): ClientDuplexStream<unknown, WatchJobsResponse>;
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
