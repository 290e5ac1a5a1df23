// Delivers triggers to apps over HTTP as Dapr does: POST {appUrl}/job/{name} with the job's data
// as JSON. A pooled keep-alive client (undici Agent) serves every app origin.

import { Agent, errors as undiciErrors } from 'undici';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppDirectory } from '../../core/ports/app-directory.js';
import type { Deliverer } from '../../core/ports/deliverer.js';

export interface HttpDelivererOptions {
  /** Per attempt, ms: the longest wait for the response headers, and between body chunks (undici's timeouts; no extra timer per request). */
  timeoutMs: number;
  /** Keep-alive connections per app origin. */
  connectionsPerOrigin: number;
}

export const defaultHttpDelivererOptions: HttpDelivererOptions = { timeoutMs: 30_000, connectionsPerOrigin: 128 };

export class HttpDeliverer implements Deliverer {
  private readonly agent: Agent;
  private readonly options: HttpDelivererOptions;

  constructor(
    private readonly apps: AppDirectory,
    options: Partial<HttpDelivererOptions> = {},
  ) {
    this.options = { ...defaultHttpDelivererOptions, ...options };
    this.agent = new Agent({
      connections: this.options.connectionsPerOrigin,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      connect: { timeout: Math.min(this.options.timeoutMs, 10_000) },
    });
  }

  async deliver(trigger: Trigger): Promise<Outcome> {
    if (trigger.target.kind !== 'app') return { kind: 'failed', detail: `target "${trigger.target.type}" is not deliverable over HTTP` };
    const endpoint = this.apps.endpoint(trigger.key.namespace, trigger.key.appId);
    if (!endpoint) return { kind: 'staged', detail: `app "${trigger.key.appId}" has no registered endpoint` };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'duetime-scheduled-time': new Date(trigger.scheduledAt).toISOString(),
      'duetime-attempt': String(trigger.attempt),
      'duetime-trigger-id': trigger.triggerId,
    };
    if (endpoint.token) headers['dapr-api-token'] = endpoint.token;
    const body = trigger.rawData ? rawBody(trigger.rawData.value) : trigger.data === undefined ? '' : JSON.stringify(trigger.data);
    try {
      const { origin, basePath } = this.parse(endpoint.url);
      const response = await this.agent.request({
        origin,
        path: `${basePath}/job/${encodeURIComponent(trigger.key.name)}`,
        method: 'POST',
        headers,
        body,
      });
      await response.body.dump();
      const status = response.statusCode;
      if ((status >= 200 && status < 300) || status === 404) return { kind: 'done', detail: `HTTP ${status}` };
      return { kind: 'failed', detail: `HTTP ${status}` };
    } catch (error) {
      return { kind: 'failed', detail: describe(error) };
    }
  }

  private parsed = new Map<string, { origin: string; basePath: string }>();

  // Parsing a URL per delivery shows up in profiles of large bursts; endpoints are few.
  private parse(url: string): { origin: string; basePath: string } {
    let entry = this.parsed.get(url);
    if (!entry) {
      const u = new URL(url);
      entry = { origin: u.origin, basePath: u.pathname.replace(/\/$/, '') };
      this.parsed.set(url, entry);
    }
    return entry;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A non-JSON payload goes out as its bytes, whitespace-trimmed, as daprd sends an Any's value. */
function rawBody(base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  const space = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  let start = 0;
  let end = bytes.length;
  while (start < end && space(bytes[start])) start++;
  while (end > start && space(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

function describe(error: unknown): string {
  if (error instanceof undiciErrors.UndiciError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ? `${(error as NodeJS.ErrnoException).code}: ${error.message}` : error.message;
  return String(error);
}
