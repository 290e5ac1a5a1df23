// One pooled keep-alive HTTP client (undici Agent) for calls Duetime makes to registered apps
// outside the job callback: service invocation targets and cron input bindings. It turns one
// request into an Outcome with the rule the caller gives; it never throws.
//
// The timeout is a deadline on the whole attempt: from the call, the wait for a pooled connection
// included, to the response's last byte. At the deadline the attempt fails at once and the
// request is aborted (undici cancels it on its socket, or as soon as it reaches one). undici's
// per-phase timeouts are off: they restart with every body chunk, so a trickling app would
// outlast them.

import { Agent, errors as undiciErrors, type buildConnector } from 'undici';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppEndpoint } from '../../core/ports/app-directory.js';

export interface AppClientOptions {
  /** Certificates trusted for https app URLs (the system's roots plus --app-tls-ca); Node's defaults when absent. */
  ca?: Array<string | Buffer>;
  /**
   * Opens connections given this Agent's connect timeout and CAs: main.ts passes one that applies
   * the outbound policy (--allow-outbound) to the address each connection resolves to. undici's own when absent.
   */
  connector?: (settings: { timeout: number; ca?: Array<string | Buffer> }) => buildConnector.connector;
  /** Deadline of one attempt, ms: from the call, the wait for a connection included, to the response's last byte. */
  timeoutMs: number;
  /** Most connections open to one app endpoint (origin); more calls wait for one, inside their deadline. */
  connectionsPerEndpoint: number;
}

export const defaultAppClientOptions: AppClientOptions = { timeoutMs: 30_000, connectionsPerEndpoint: 64 };

/** The longest a TCP (and TLS) connect may take, ms, when the deadline is longer. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/** How much of an error answer's body goes into the attempt's detail. */
const ERROR_BODY_EXCERPT = 200;
/** A response body is read and dropped; one larger than this is not read to its end. */
const MAX_DRAINED_BODY_BYTES = 128 * 1024;

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
      connections: this.options.connectionsPerEndpoint,
      // Off: the attempt's deadline covers both phases and the wait before them.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: connectOption(this.options, Math.min(this.options.timeoutMs, MAX_CONNECT_TIMEOUT_MS)),
    });
  }

  /** 2xx = done; any other status, a refused connection or the deadline = failed with the reason. */
  call(endpoint: AppEndpoint, req: AppRequest): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const controller = new AbortController();
      let settled = false;
      const settle = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const deadline = setTimeout(() => {
        const error = new Error(`delivery timeout: the call did not complete within ${this.options.timeoutMs} ms`);
        settle({ kind: 'failed', detail: `${req.what}: ${error.message}` });
        controller.abort(error);
      }, this.options.timeoutMs);
      void this.exchange(endpoint, req, controller.signal).then(settle);
    });
  }

  /** One request read to its end; never rejects. */
  private async exchange(endpoint: AppEndpoint, req: AppRequest, signal: AbortSignal): Promise<Outcome> {
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
        signal,
      });
      const status = response.statusCode;
      const text = await readExcerpt(response.body);
      if (status >= 200 && status < 300) return { kind: 'done', detail: `HTTP ${status}` };
      const missing = status === 404 ? ' (no such route on the app)' : '';
      return { kind: 'failed', detail: `${req.what}: HTTP ${status}${missing}${text ? `: ${text}` : ''}` };
    } catch (error) {
      return { kind: 'failed', detail: `${req.what}: ${describe(error)}` };
    }
  }

  /** Closes the pool once; a second call returns the first one's promise (undici rejects a second close). */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

/**
 * Reads a response body to its end (an answer whose body never completes is no answer; body.dump()
 * would stop quietly at an abort), keeping its first characters for a message. A body longer
 * than MAX_DRAINED_BODY_BYTES is not read further: the status already says what happened.
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of body) {
    if (keptBytes < ERROR_BODY_EXCERPT) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
    total += chunk.length;
    if (total > MAX_DRAINED_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(kept).toString('utf8').slice(0, ERROR_BODY_EXCERPT);
}

/** The extension headers every trigger carries (SPEC 5), so a receiver can de-duplicate. */
export function triggerHeaders(trigger: Trigger): Record<string, string> {
  return {
    'duetime-scheduled-time': new Date(trigger.scheduledAt).toISOString(),
    'duetime-attempt': String(trigger.attempt),
    'duetime-trigger-id': trigger.triggerId,
    // W3C trace context: the attempt's span when tracing, else the job's stored context.
    ...(trigger.trace ? { traceparent: trigger.trace.traceparent } : {}),
    ...(trigger.trace?.tracestate !== undefined ? { tracestate: trigger.trace.tracestate } : {}),
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

/** The Agent's connect option: the given connector (the outbound policy), else undici's with these settings. */
function connectOption(options: { ca?: Array<string | Buffer>; connector?: (settings: { timeout: number; ca?: Array<string | Buffer> }) => buildConnector.connector }, timeout: number): buildConnector.connector | buildConnector.BuildOptions {
  const settings = { timeout, ...(options.ca ? { ca: options.ca } : {}) };
  return options.connector ? options.connector(settings) : settings;
}
