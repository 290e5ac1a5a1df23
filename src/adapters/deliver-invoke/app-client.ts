// One pooled keep-alive HTTP client (undici Agent) for calls Duetime makes to registered apps
// outside the job callback: service invocation targets and cron input bindings. It turns one
// request into an Outcome with the rule the caller gives; it never throws.

import { Agent, errors as undiciErrors } from 'undici';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppEndpoint } from '../../core/ports/app-directory.js';

export interface AppClientOptions {
  /** Whole-request timeout per attempt, ms. */
  timeoutMs: number;
  /** Keep-alive connections per app origin. */
  connectionsPerOrigin: number;
}

export const defaultAppClientOptions: AppClientOptions = { timeoutMs: 30_000, connectionsPerOrigin: 64 };

/** How much of an error answer's body goes into the attempt's detail. */
const ERROR_BODY_EXCERPT = 200;

export interface AppRequest {
  method: string;
  /** Path on the app, starting with "/" (the endpoint's own base path is put in front). */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** For messages: what is being called, e.g. `app "billing" method "orders/close"`. */
  what: string;
}

export class AppClient {
  private readonly agent: Agent;
  readonly options: AppClientOptions;

  constructor(options: Partial<AppClientOptions> = {}) {
    this.options = { ...defaultAppClientOptions, ...options };
    this.agent = new Agent({
      connections: this.options.connectionsPerOrigin,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      connect: { timeout: Math.min(this.options.timeoutMs, 10_000) },
    });
  }

  /** 2xx = done; any other status, a refused connection or a timeout = failed with the reason. */
  async call(endpoint: AppEndpoint, req: AppRequest): Promise<Outcome> {
    try {
      const url = new URL(endpoint.url);
      const basePath = url.pathname.replace(/\/+$/, '');
      const headers = { ...req.headers, ...(endpoint.token ? { 'dapr-api-token': endpoint.token } : {}) };
      const response = await this.agent.request({
        origin: url.origin,
        path: `${basePath}${req.path}`,
        method: req.method as 'POST',
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        await response.body.dump();
        return { kind: 'done', detail: `HTTP ${status}` };
      }
      const text = (await response.body.text()).slice(0, ERROR_BODY_EXCERPT);
      const missing = status === 404 ? ' (no such route on the app)' : '';
      return { kind: 'failed', detail: `${req.what}: HTTP ${status}${missing}${text ? `: ${text}` : ''}` };
    } catch (error) {
      return { kind: 'failed', detail: `${req.what}: ${describe(error)}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The extension headers every trigger carries (SPEC 5), so a receiver can de-duplicate. */
export function triggerHeaders(trigger: Trigger): Record<string, string> {
  return {
    'duetime-scheduled-time': new Date(trigger.scheduledAt).toISOString(),
    'duetime-attempt': String(trigger.attempt),
    'duetime-trigger-id': trigger.triggerId,
  };
}

function describe(error: unknown): string {
  if (error instanceof undiciErrors.UndiciError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
