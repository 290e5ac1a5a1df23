// DuetimeClient: Duetime's HTTP API (SPEC section 4) as typed methods. Identity travels as
// Dapr's headers (dapr-app-id, dapr-namespace, dapr-api-token); error answers are thrown as
// DuetimeApiError.
//
// Given several base URLs (the replicas of a cluster: any of them serves the whole API) it sends
// each request to the one that answered last, and moves on to the next only when that one cannot
// be reached (the request surely never arrived: refused, unresolvable, connect timeout) or
// answers 503 (not ready: it changed nothing). A timeout or a connection lost mid-request may
// have done the work, so only GET and DELETE, which are safe to repeat, fail over on those.
// An answer, 4xx or otherwise, is the answer.

import { addressList, AddressRotation, type Addresses } from './addresses.js';
import { DuetimeApiError } from './api-error.js';
import { checkApiTokenOption, readApiToken, type ApiTokenOption } from './api-token.js';
import { DEFAULT_RATE_LIMIT_RETRIES, retryAfterMs, withRateLimitRetries } from './rate-limit-retry.js';
import type { HistoryEntry, Job, JobPage, JobSpec, ListOptions } from './types.js';

export interface DuetimeClientOptions {
  /**
   * Base URL of the HTTP API; or several (a list, or comma-separated), tried in order when one
   * cannot be reached.
   * @defaultValue `DUETIME_URL` (comma-separated URLs), else `http://127.0.0.1:3500`
   */
  baseUrl?: Addresses;
  /** The app the jobs belong to (dapr-app-id). @defaultValue the server's `--app-id` */
  appId?: string;
  /** dapr-namespace. @defaultValue the server's `--namespace` */
  namespace?: string;
  /**
   * dapr-api-token, when the server requires one: the token, or a function that answers it (a
   * promise of it too), asked again for each request (and again when a 429 is sent again). After
   * a server's tokens are rotated (SIGHUP) a string keeps being sent, and refused with 401, until
   * the client is made again; a function that reads the token from a file or a secret store hands
   * over the new one at the next request. A string a header cannot carry (a line break) throws
   * here; a function that throws, rejects, or answers something other than a string (or
   * undefined: no token) or such a token fails the request, unsent. Neither error shows the token.
   * @defaultValue none
   */
  apiToken?: ApiTokenOption;
  /** Timeout of one attempt at one address, ms. @defaultValue 30_000 */
  timeoutMs?: number;
  /**
   * How many times a request answered 429 (the app's schedule quota on the server) is sent again
   * after the wait the server names (Retry-After, at most 60 s each); 0 throws the 429 at once.
   * The server wrote nothing with a 429, so sending again is safe.
   * @defaultValue 3
   */
  rateLimitRetries?: number;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3500';

/** Error codes of a connection that was never made: the request did not reach the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
/** Methods whose repetition does no harm. */
const IDEMPOTENT = new Set(['GET', 'DELETE']);

export class DuetimeClient {
  private readonly baseUrls: AddressRotation;
  private readonly headers: Record<string, string>;
  private readonly apiToken: ApiTokenOption | undefined;
  private readonly timeoutMs: number;
  private readonly rateLimitRetries: number;

  constructor(options: DuetimeClientOptions = {}) {
    checkApiTokenOption(options.apiToken, 'new DuetimeClient()');
    this.baseUrls = new AddressRotation(addressList(options.baseUrl, process.env.DUETIME_URL, DEFAULT_BASE_URL).map((url) => url.replace(/\/+$/, '')));
    this.headers = {
      ...(options.appId ? { 'dapr-app-id': options.appId } : {}),
      ...(options.namespace ? { 'dapr-namespace': options.namespace } : {}),
    };
    this.apiToken = options.apiToken;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.rateLimitRetries = options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
  }

  /** Creates a job (or replaces it with `overwrite: true`). */
  async schedule(name: string, job: JobSpec): Promise<void> {
    await this.request('POST', jobPath(name), job);
  }

  async get(name: string): Promise<Job> {
    return (await this.request('GET', jobPath(name))) as Job;
  }

  /** Deletes a job; succeeds when it does not exist. */
  async delete(name: string): Promise<void> {
    await this.request('DELETE', jobPath(name));
  }

  /** One page of the app's jobs, in name order. */
  async list(options: ListOptions = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    if (options.prefix) query.set('prefix', options.prefix);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.size > 0 ? `?${query}` : '';
    return (await this.request('GET', `/v1.0/jobs${suffix}`)) as JobPage;
  }

  /** Every job of the app (optionally with a prefix), fetched page by page as you iterate. */
  async *listAll(options: { prefix?: string; pageSize?: number } = {}): AsyncGenerator<Job, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({
        ...(options.prefix ? { prefix: options.prefix } : {}),
        ...(options.pageSize !== undefined ? { limit: options.pageSize } : {}),
        ...(cursor ? { cursor } : {}),
      });
      yield* page.jobs;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Deletes the app's jobs whose names start with `prefix` ('' = all of them); returns how many. */
  async deleteByPrefix(prefix: string): Promise<number> {
    // Always sent, even empty: the server refuses a bulk delete without an explicit prefix.
    const body = (await this.request('DELETE', `/v1.0/jobs?${new URLSearchParams({ prefix })}`)) as { deleted: number };
    return body.deleted;
  }

  /** Stops regular ticks until resume; a manual trigger still goes out. */
  async pause(name: string): Promise<Job> {
    return (await this.request('POST', `${jobPath(name)}/pause`)) as Job;
  }

  /** Restarts ticks; missed ones follow the job's catchUp. */
  async resume(name: string): Promise<Job> {
    return (await this.request('POST', `${jobPath(name)}/resume`)) as Job;
  }

  /** Delivers one extra trigger now, outside the schedule. */
  async trigger(name: string): Promise<Job> {
    return (await this.request('POST', `${jobPath(name)}/trigger`)) as Job;
  }

  /** The last ticks of a job with their outcomes, newest first. */
  async history(name: string, options: { limit?: number } = {}): Promise<HistoryEntry[]> {
    const suffix = options.limit !== undefined ? `?limit=${options.limit}` : '';
    const body = (await this.request('GET', `${jobPath(name)}/history${suffix}`)) as { history: HistoryEntry[] };
    return body.history;
  }

  private request(method: string, path: string, body?: unknown): Promise<unknown> {
    return withRateLimitRetries(this.rateLimitRetries, () => this.requestOnce(method, path, body));
  }

  private async requestOnce(method: string, path: string, body?: unknown): Promise<unknown> {
    // Read for each attempt, so a retry after a 429's wait presents a token rotated meanwhile.
    const apiToken = await readApiToken(this.apiToken).catch((error: unknown) => {
      throw new Error(`${method} ${path} not sent: ${(error as Error).message}`, { cause: error });
    });
    const headers = {
      ...this.headers,
      ...(apiToken ? { 'dapr-api-token': apiToken } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const order = this.baseUrls.order();
    const failures: string[] = [];
    for (const [k, index] of order.entries()) {
      const baseUrl = this.baseUrls.addresses[index]!;
      const last = k === order.length - 1;
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        if (order.length === 1) throw error; // one address: fetch's own error, as always
        failures.push(`${baseUrl}: ${describe(error)}`);
        if (last || !(NOT_SENT.has(errorCode(error) ?? '') || IDEMPOTENT.has(method))) {
          throw new Error(`${method} ${path}: no answer from ${failures.join('; ')}${last ? '' : ` (not tried further: the request may have reached the server)`}`, { cause: error });
        }
        continue;
      }
      if (response.status === 503 && !last) {
        failures.push(`${baseUrl}: 503 not ready`);
        continue;
      }
      this.baseUrls.answered(index);
      if (!response.ok) throw DuetimeApiError.fromResponse(response.status, text, { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
      return text === '' ? undefined : JSON.parse(text);
    }
    throw new Error('unreachable: the address list is never empty');
  }
}

/** The system error code under fetch's "fetch failed" (undici puts it in `cause`, or in each of an AggregateError's errors). */
function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

function jobPath(name: string): string {
  return `/v1.0/jobs/${encodeURIComponent(name)}`;
}
