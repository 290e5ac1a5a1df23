// DuetimeClient: Duetime's HTTP API (SPEC section 4) as typed methods. Identity travels as
// Dapr's headers (dapr-app-id, dapr-namespace, dapr-api-token); error answers are thrown as
// DuetimeApiError.

import { DuetimeApiError } from './api-error.js';
import type { HistoryEntry, Job, JobPage, JobSpec, ListOptions } from './types.js';

export interface DuetimeClientOptions {
  /** Base URL of the HTTP API. Default: DUETIME_URL, else http://127.0.0.1:3500. */
  baseUrl?: string;
  /** The app the jobs belong to (dapr-app-id); default: the server's --app-id. */
  appId?: string;
  /** dapr-namespace; default: the server's --namespace. */
  namespace?: string;
  /** dapr-api-token, when the server requires one. */
  apiToken?: string;
  /** Per-request timeout, ms. Default 30 000. */
  timeoutMs?: number;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3500';

export class DuetimeClient {
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: DuetimeClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? process.env.DUETIME_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.headers = {
      ...(options.appId ? { 'dapr-app-id': options.appId } : {}),
      ...(options.namespace ? { 'dapr-namespace': options.namespace } : {}),
      ...(options.apiToken ? { 'dapr-api-token': options.apiToken } : {}),
    };
    this.timeoutMs = options.timeoutMs ?? 30_000;
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
    const suffix = prefix ? `?${new URLSearchParams({ prefix })}` : '';
    const body = (await this.request('DELETE', `/v1.0/jobs${suffix}`)) as { deleted: number };
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

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw DuetimeApiError.fromResponse(response.status, text);
    return text === '' ? undefined : JSON.parse(text);
  }
}

function jobPath(name: string): string {
  return `/v1.0/jobs/${encodeURIComponent(name)}`;
}
