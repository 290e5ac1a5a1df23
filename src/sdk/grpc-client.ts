// DuetimeGrpcClient: the jobs methods of Duetime's gRPC runtime API (dapr.proto.runtime.v1.Dapr,
// port 50001) with DuetimeClient's method names and types where Dapr's messages have them.
// Identity travels as Dapr's metadata (dapr-app-id, dapr-namespace, dapr-api-token); error
// answers are thrown as the DuetimeApiError DuetimeClient throws for the same answer.
// Not here, because the gRPC API has no such methods: pause, resume, trigger, history.

import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadDuetimeProtos } from '../api/grpc/proto-loader.js';
import { fromServiceError } from './grpc-error.js';
import { fromJobMessage, toScheduleRequest, type GrpcJob, type JobMessage } from './grpc-job.js';
import type { JobSpec } from './types.js';

export interface DuetimeGrpcClientOptions {
  /** host:port of the gRPC runtime API. Default: DUETIME_GRPC_ADDRESS, else 127.0.0.1:50001. */
  address?: string;
  /** The app the jobs belong to (dapr-app-id); default: the server's --app-id. */
  appId?: string;
  /** dapr-namespace; default: the server's --namespace. */
  namespace?: string;
  /** dapr-api-token, when the server requires one. */
  apiToken?: string;
  /** TLS or other channel credentials; default insecure (plaintext). */
  credentials?: ChannelCredentials;
  /** Per-call deadline, ms. Default 30 000. */
  timeoutMs?: number;
}

/** What `list` returns: the shape of DuetimeClient's JobPage, never with a nextCursor (ListJobs is unpaged). */
export interface GrpcJobPage {
  jobs: GrpcJob[];
}

export const DEFAULT_GRPC_ADDRESS = '127.0.0.1:50001';

type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: unknown) => void) => void;

export class DuetimeGrpcClient {
  private readonly client: Client;
  private readonly identity: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: DuetimeGrpcClientOptions = {}) {
    const address = options.address ?? process.env.DUETIME_GRPC_ADDRESS ?? DEFAULT_GRPC_ADDRESS;
    const { RuntimeClient } = loadDuetimeProtos();
    // ListJobs answers every job of the app in one message, which can outgrow grpc-js's default
    // 4 MiB receive limit; the server sends it whole, so take it whole.
    this.client = new RuntimeClient(address, options.credentials ?? grpcCredentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    this.identity = {
      ...(options.appId ? { 'dapr-app-id': options.appId } : {}),
      ...(options.namespace ? { 'dapr-namespace': options.namespace } : {}),
      ...(options.apiToken ? { 'dapr-api-token': options.apiToken } : {}),
    };
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Creates a job (or replaces it with `overwrite: true`). Throws, before sending, for `target`,
   * `catchUp` and the exponential policy, which Dapr's message cannot carry: use DuetimeClient.
   */
  async schedule(name: string, job: JobSpec): Promise<void> {
    await this.call('ScheduleJob', toScheduleRequest(name, job));
  }

  async get(name: string): Promise<GrpcJob> {
    const response = (await this.call('GetJob', { name })) as { job: JobMessage | null };
    // The server always answers with the job; an empty answer would be a broken server.
    if (!response.job) throw new Error(`GetJob answered without a job for "${name}"`);
    return fromJobMessage(response.job);
  }

  /** Deletes a job; succeeds when it does not exist. */
  async delete(name: string): Promise<void> {
    await this.call('DeleteJob', { name });
  }

  /**
   * The app's jobs (those starting with `prefix`, if given), in name order. ListJobs is unpaged
   * and has no prefix: every job comes in one answer and the prefix is applied here.
   */
  async list(options: { prefix?: string } = {}): Promise<GrpcJobPage> {
    const paging = options as { limit?: unknown; cursor?: unknown };
    if (paging.limit !== undefined || paging.cursor !== undefined) {
      throw new Error("ListJobs over gRPC is unpaged: limit and cursor have no field in Dapr's message; page with DuetimeClient (HTTP) instead");
    }
    const response = (await this.call('ListJobs', {})) as { jobs: JobMessage[] };
    const prefix = options.prefix ?? '';
    return { jobs: response.jobs.filter((job) => job.name.startsWith(prefix)).map(fromJobMessage) };
  }

  /** Every job of the app, as DuetimeClient.listAll; `pageSize` has no effect (one answer holds them all). */
  async *listAll(options: { prefix?: string; pageSize?: number } = {}): AsyncGenerator<GrpcJob, void, undefined> {
    yield* (await this.list(options.prefix !== undefined ? { prefix: options.prefix } : {})).jobs;
  }

  /**
   * Deletes the app's jobs whose names start with `prefix` ('' = all of them). Unlike
   * DuetimeClient's it returns nothing: Dapr's response carries no count.
   */
  async deleteByPrefix(prefix: string): Promise<void> {
    await this.call('DeleteJobsByPrefix', prefix ? { namePrefix: prefix } : {});
  }

  /** Closes the channel; calls after this fail. */
  close(): void {
    this.client.close();
  }

  private call(method: string, request: object): Promise<unknown> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(this.identity)) metadata.set(key, value);
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, metadata, { deadline: Date.now() + this.timeoutMs }, (error, response) => {
        if (error) reject(fromServiceError(error));
        else resolve(response);
      });
    });
  }
}
