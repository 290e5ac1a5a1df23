// Delivers triggers to apps over HTTP as Dapr does: POST {appUrl}/job/{name} with the job's data
// as JSON. A pooled keep-alive client (undici Agent) serves every app origin.
//
// Deliveries go through undici's dispatch() with a small handler of our own rather than
// request(): the status code is all an outcome needs, and request() builds per response a
// Readable body stream, an AsyncResource, a parsed headers object and two promises (the
// response, then body.dump()). In a 20,000-job burst that machinery was a fifth of the
// client's CPU per delivery.
//
// The delivery timeout is a deadline on the whole attempt: from dispatch (the wait for a pooled
// connection included) to the response's last byte. One timer per attempt enforces it; undici's
// per-phase headers/body timeouts are off, since they restart with every chunk and do not count
// the wait for a connection (a trickling app would hold an attempt for as long as it trickles).
// On expiry the attempt is failed at once and the request cancelled: a request on a socket is
// aborted (undici destroys the socket, which frees the connection), and one still queued for a
// connection is dropped when it reaches one, without writing a byte.

import { Agent, errors as undiciErrors, type buildConnector } from 'undici';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppDirectory } from '../../core/ports/app-directory.js';
import type { Deliverer, OutcomeReceiver } from '../../core/ports/deliverer.js';

export interface HttpDelivererOptions {
  /** Certificates trusted for https app URLs (the system's roots plus --app-tls-ca); Node's defaults when absent. */
  ca?: Array<string | Buffer>;
  /**
   * Opens connections given this Agent's connect timeout and CAs: main.ts passes one that applies
   * the outbound policy (--allow-outbound) to the address each connection resolves to. undici's own when absent.
   */
  connector?: (settings: { timeout: number; ca?: Array<string | Buffer> }) => buildConnector.connector;
  /** Deadline of one attempt, ms: from dispatch, the wait for a connection included, to the response's last byte. */
  timeoutMs: number;
  /** Most connections open to one app endpoint (origin); more deliveries wait for one, inside their deadline. */
  connectionsPerEndpoint: number;
}

export const defaultHttpDelivererOptions: HttpDelivererOptions = { timeoutMs: 30_000, connectionsPerEndpoint: 64 };

/** The longest a TCP (and TLS) connect may take, ms, when the deadline is longer. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A response body is read and dropped; one larger than this is not read to its end (the
 * connection is closed instead), as undici's body.dump() did before.
 */
const MAX_DRAINED_BODY_BYTES = 128 * 1024;

interface Endpoint {
  origin: string;
  /** The app URL's path without a trailing slash, then "/job/". */
  jobPath: string;
}

export class HttpDeliverer implements Deliverer {
  private readonly agent: Agent;
  private readonly options: HttpDelivererOptions;
  private readonly parsed = new Map<string, Endpoint>();
  // The last scheduled instant and its ISO string: a burst's triggers share one instant, and a
  // Date plus toISOString per delivery showed up in its profile.
  private lastScheduledAt = Number.NaN;
  private lastScheduledIso = '';

  constructor(
    private readonly apps: AppDirectory,
    options: Partial<HttpDelivererOptions> = {},
  ) {
    this.options = { ...defaultHttpDelivererOptions, ...options };
    this.agent = new Agent({
      connections: this.options.connectionsPerEndpoint,
      // Off: the attempt's own deadline covers both phases and the wait before them.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: connectOption(this.options, Math.min(this.options.timeoutMs, MAX_CONNECT_TIMEOUT_MS)),
    });
  }

  deliver(trigger: Trigger): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => this.deliverTo(trigger, { receive: resolve }));
  }

  /**
   * deliver in the callback form, which the engine uses (through the router): the handler hands
   * the outcome to the receiver itself, with no promise, resolve closure and `.then` link per
   * delivery. The receiver may be called before this returns (no endpoint, a bad request).
   */
  deliverTo(trigger: Trigger, receiver: OutcomeReceiver): void {
    if (trigger.target.kind !== 'app') {
      receiver.receive({ kind: 'failed', detail: `target "${trigger.target.kind}" is not deliverable over HTTP` });
      return;
    }
    const endpoint = this.apps.endpoint(trigger.key.namespace, trigger.key.appId);
    if (!endpoint) {
      receiver.receive({ kind: 'staged', detail: `app "${trigger.key.appId}" has no registered endpoint` });
      return;
    }
    const handler = new OutcomeHandler(receiver, this.options.timeoutMs);
    try {
      const { origin, jobPath } = this.parse(endpoint.url);
      // A flat [name, value, ...] list: undici walks it without the entry arrays an object costs.
      const headers = [
        'content-type',
        'application/json',
        'duetime-scheduled-time',
        this.isoOf(trigger.scheduledAt),
        'duetime-attempt',
        String(trigger.attempt),
        'duetime-trigger-id',
        trigger.triggerId,
      ];
      if (endpoint.token) headers.push('dapr-api-token', endpoint.token);
      // W3C trace context: the attempt's span when tracing, else the job's stored context.
      if (trigger.trace) {
        headers.push('traceparent', trigger.trace.traceparent);
        if (trigger.trace.tracestate !== undefined) headers.push('tracestate', trigger.trace.tracestate);
      }
      const body = trigger.rawData ? rawBody(trigger.rawData.value) : trigger.data === undefined ? '' : JSON.stringify(trigger.data);
      this.agent.dispatch({ origin, path: jobPath + encodeURIComponent(trigger.key.name), method: 'POST', headers, body }, handler);
    } catch (error) {
      handler.onError(error as Error);
    }
  }

  private isoOf(instant: number): string {
    if (instant !== this.lastScheduledAt) {
      this.lastScheduledIso = new Date(instant).toISOString();
      this.lastScheduledAt = instant;
    }
    return this.lastScheduledIso;
  }

  // Parsing a URL per delivery shows up in profiles of large bursts; endpoints are few.
  private parse(url: string): Endpoint {
    let entry = this.parsed.get(url);
    if (!entry) {
      const u = new URL(url);
      entry = { origin: u.origin, jobPath: `${u.pathname.replace(/\/$/, '')}/job/` };
      this.parsed.set(url, entry);
    }
    return entry;
  }

  /** Closes the pool once; a second call returns the first one's promise (undici rejects a second close). */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

/**
 * Turns one exchange into an Outcome: 2xx and 404 are done, any other status failed, and an
 * error before the response ended (connect, reset, the deadline) failed with its description.
 * The body is discarded as it arrives. Settles exactly once, and clears its deadline timer then.
 *
 * These are undici's own handler callbacks (onConnect, onHeaders, onData, onComplete, onError),
 * which its dispatchers run natively. undici 7 marks them deprecated in favour of
 * onRequestStart/onResponse*, but runs those through an adapter that parses every response's
 * headers into an object and allocates a controller: 3 to 6 us more per request here (client
 * alone, 20,000 requests, 5 alternating runs). Should undici drop these, the same logic moves to
 * that API unchanged.
 */
class OutcomeHandler {
  private status = 0;
  private bodyBytes = 0;
  private settled = false;
  private expired = false;
  private abort: ((error?: Error) => void) | undefined;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly receiver: OutcomeReceiver,
    private readonly timeoutMs: number,
  ) {
    // setTimeout's extra argument instead of a closure: one allocation less per attempt.
    this.deadline = setTimeout(expire, timeoutMs, this);
  }

  /** Called when the request reaches a socket, just before it is written. */
  onConnect(abort: (error?: Error) => void): void {
    if (this.expired) {
      // Its deadline passed while it waited for a connection: never sent. Throwing here (rather
      // than calling abort, which would destroy the healthy socket it was given) makes undici
      // drop the request and hand the socket to the next one.
      throw new DeadlineExceeded(this.timeoutMs, 'waiting for a connection');
    }
    this.abort = abort;
  }

  /** Also called for a 1xx interim response; the final status is the last one. */
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > MAX_DRAINED_BODY_BYTES) {
      // The answer is known from the status; the rest of a large body is not worth reading.
      this.settle(statusOutcome(this.status));
      this.abort?.(new undiciErrors.RequestAbortedError('response body too large; not read to its end'));
    }
    return true;
  }

  onComplete(): void {
    this.settle(statusOutcome(this.status));
  }

  onError(error: Error): void {
    this.settle({ kind: 'failed', detail: describe(error) });
  }

  /** The deadline passed: the attempt fails now, and its request is cancelled. */
  expire(): void {
    if (this.settled) return;
    this.expired = true;
    const error = new DeadlineExceeded(this.timeoutMs, this.status === 0 ? 'no response' : `HTTP ${this.status} headers, body not complete`);
    this.settle({ kind: 'failed', detail: error.message });
    // On a socket: abort it (undici closes the connection). Still queued: onConnect drops it.
    this.abort?.(error);
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.receiver.receive(outcome);
  }
}

function expire(handler: OutcomeHandler): void {
  handler.expire();
}

/** An attempt that did not end within the delivery timeout. */
class DeadlineExceeded extends Error {
  constructor(timeoutMs: number, state: string) {
    super(`delivery timeout: the attempt did not complete within ${timeoutMs} ms (${state})`);
    this.name = 'DeadlineExceeded';
  }
}

function statusOutcome(status: number): Outcome {
  // One shared, frozen outcome per status: every delivery of a burst answers 200, and building
  // the object and its "HTTP 200" string each time was garbage per delivery.
  let outcome = STATUS_OUTCOMES.get(status);
  if (outcome === undefined) {
    const detail = `HTTP ${status}`;
    outcome = Object.freeze((status >= 200 && status < 300) || status === 404 ? { kind: 'done' as const, detail } : { kind: 'failed' as const, detail });
    if (status >= 100 && status < 600) STATUS_OUTCOMES.set(status, outcome);
  }
  return outcome;
}

const STATUS_OUTCOMES = new Map<number, Outcome>();

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

/** The Agent's connect option: the given connector (the outbound policy), else undici's with these settings. */
function connectOption(options: { ca?: Array<string | Buffer>; connector?: (settings: { timeout: number; ca?: Array<string | Buffer> }) => buildConnector.connector }, timeout: number): buildConnector.connector | buildConnector.BuildOptions {
  const settings = { timeout, ...(options.ca ? { ca: options.ca } : {}) };
  return options.connector ? options.connector(settings) : settings;
}
