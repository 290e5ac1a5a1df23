// DuetimeGrpcClient: the jobs methods of Duetime's gRPC runtime API (dapr.proto.runtime.v1.Dapr,
// port 50001) with DuetimeClient's method names and types where Dapr's messages have them.
// Identity travels as Dapr's metadata (dapr-app-id, dapr-namespace, dapr-api-token); error
// answers are thrown as the DuetimeApiError DuetimeClient throws for the same answer.
// Not here, because the gRPC API has no such methods: pause, resume, trigger, history.
//
// Given several addresses (the replicas of a cluster: any of them serves the whole API) it calls
// the one that answered last, and moves on to the next only when that one cannot be reached
// (UNAVAILABLE without Duetime's error code: no connection) or is not ready (UNAVAILABLE with
// it: nothing was done). A passed deadline may hide work done, so only the reads and deletes,
// which are safe to repeat, fail over on DEADLINE_EXCEEDED. An answer is the answer.

import { credentials as grpcCredentials, Metadata, status, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadDuetimeProtos } from './protocol/proto-loader.js';
import { addressList, AddressRotation, type Addresses } from './addresses.js';
import { checkApiTokenOption, readApiToken, type ApiTokenOption } from './api-token.js';
import { fromServiceError } from './grpc-error.js';
import { DEFAULT_RATE_LIMIT_RETRIES, withRateLimitRetries } from './rate-limit-retry.js';
import { fromJobMessage, toScheduleRequest, type GrpcJob, type JobMessage } from './grpc-job.js';
import type { JobSpec } from './types.js';

export interface DuetimeGrpcClientOptions {
  /**
   * host:port of the gRPC runtime API; or several (a list, or comma-separated), tried in order
   * when one cannot be reached.
   * @defaultValue `DUETIME_GRPC_ADDRESS` (comma-separated addresses), else `127.0.0.1:50001`
   */
  address?: Addresses;
  /** The app the jobs belong to (dapr-app-id). @defaultValue the server's `--app-id` */
  appId?: string;
  /** dapr-namespace. @defaultValue the server's `--namespace` */
  namespace?: string;
  /**
   * dapr-api-token, when the server requires one: the token, or a function that answers it (a
   * promise of it too), asked again for each call (and again when a call refused for the quota
   * is made again). After a server's tokens are rotated (SIGHUP) a string keeps being sent, and
   * refused with UNAUTHENTICATED, until the client is made again; a function that reads the token
   * from a file or a secret store hands over the new one at the next call. A string metadata
   * cannot carry (a line break) throws here; a function that throws, rejects, or answers
   * something other than a string (or undefined: no token) or such a token fails the call,
   * unsent. Neither error shows the token.
   * @defaultValue none
   */
  apiToken?: ApiTokenOption;
  /** TLS or other channel credentials. @defaultValue insecure (plaintext) */
  credentials?: ChannelCredentials;
  /** Deadline of one attempt at one address, ms. @defaultValue 30_000 */
  timeoutMs?: number;
  /**
   * How many times a call refused for the app's schedule quota (RESOURCE_EXHAUSTED with
   * `retry-after`) is made again after that wait (at most 60 s each); 0 throws it at once.
   * @defaultValue 3
   */
  rateLimitRetries?: number;
}

/** What `list` returns: the shape of DuetimeClient's JobPage, never with a nextCursor (ListJobs is unpaged). */
export interface GrpcJobPage {
  jobs: GrpcJob[];
}

export const DEFAULT_GRPC_ADDRESS = '127.0.0.1:50001';

type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: unknown) => void) => void;

/** Methods whose repetition does no harm. */
const IDEMPOTENT = new Set(['GetJob', 'ListJobs', 'DeleteJob', 'DeleteJobsByPrefix']);
/** grpc-js's details when a call failed before any connection was made (so it was never sent). */
const NOT_CONNECTED = /No connection established|Name resolution failed|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/i;

export class DuetimeGrpcClient {
  private readonly addresses: AddressRotation;
  private readonly clients: Client[];
  private readonly identity: Record<string, string>;
  private readonly apiToken: ApiTokenOption | undefined;
  private readonly timeoutMs: number;
  private readonly rateLimitRetries: number;

  constructor(options: DuetimeGrpcClientOptions = {}) {
    checkApiTokenOption(options.apiToken, 'new DuetimeGrpcClient()');
    this.addresses = new AddressRotation(addressList(options.address, process.env.DUETIME_GRPC_ADDRESS, DEFAULT_GRPC_ADDRESS));
    const { RuntimeClient } = loadDuetimeProtos();
    const credentials = options.credentials ?? grpcCredentials.createInsecure();
    // ListJobs answers every job of the app in one message, which can outgrow grpc-js's default
    // 4 MiB receive limit; the server sends it whole, so take it whole. A channel connects on
    // its first call, so addresses never tried cost nothing.
    this.clients = this.addresses.addresses.map((address) => new RuntimeClient(address, credentials, { 'grpc.max_receive_message_length': -1 }));
    this.identity = {
      ...(options.appId ? { 'dapr-app-id': options.appId } : {}),
      ...(options.namespace ? { 'dapr-namespace': options.namespace } : {}),
    };
    this.apiToken = options.apiToken;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.rateLimitRetries = options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
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

  /** Closes the channels; calls after this fail. */
  close(): void {
    for (const client of this.clients) client.close();
  }

  private call(method: string, request: object): Promise<unknown> {
    return withRateLimitRetries(this.rateLimitRetries, () => this.callAnyAddress(method, request));
  }

  private async callAnyAddress(method: string, request: object): Promise<unknown> {
    // Read for each attempt, so a call made again after the quota's wait presents a token rotated meanwhile.
    const apiToken = await readApiToken(this.apiToken).catch((error: unknown) => {
      throw new Error(`${method} not called: ${(error as Error).message}`, { cause: error });
    });
    const identity = { ...this.identity, ...(apiToken ? { 'dapr-api-token': apiToken } : {}) };
    const order = this.addresses.order();
    for (const [k, index] of order.entries()) {
      try {
        const response = await this.callOne(this.clients[index]!, method, request, identity);
        this.addresses.answered(index);
        return response;
      } catch (error) {
        const serviceError = error as ServiceError;
        if (k === order.length - 1 || !failsOver(serviceError, method)) throw fromServiceError(serviceError);
      }
    }
    throw new Error('unreachable: the address list is never empty');
  }

  private callOne(client: Client, method: string, request: object, identity: Record<string, string>): Promise<unknown> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(identity)) metadata.set(key, value);
    const fn = (client as unknown as Record<string, UnaryMethod>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(client, request, metadata, { deadline: Date.now() + this.timeoutMs }, (error, response) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
  }
}

/**
 * Another address may be asked when this one surely did nothing: no connection was made, or the
 * replica answered that it is not ready (UNAVAILABLE with Duetime's error code). Calls safe to
 * repeat also move on after any UNAVAILABLE (a connection lost mid-call) or a passed deadline.
 */
function failsOver(error: ServiceError, method: string): boolean {
  if (IDEMPOTENT.has(method)) return error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED;
  if (error.code !== status.UNAVAILABLE) return false;
  const notReady = (error.metadata?.get('dapr-error-code').length ?? 0) > 0;
  return notReady || NOT_CONNECTED.test(error.details ?? '');
}
