// Delivers actor triggers (reminders) as Dapr's sidecar does: PUT
// {appUrl}/actors/{type}/{id}/method/remind/{name} with {"data","dueTime","period"} as JSON, at an
// app that hosts the actor type (actor-hosts.ts). 2xx or 404 = done; a response carrying
// `X-DaprReminderCancel: true` = cancel (the reminder ends, whatever the status); anything else,
// a timeout or a refused connection = failed. No app hosting the type = staged: the trigger waits
// without using a retry until a host appears (an app registers, or a config answer names the type).
//
// timeoutMs is a deadline on the whole attempt: from deliver(), the host lookup and the wait for a
// pooled connection included, to the response's last byte. At the deadline the attempt fails and
// the request is aborted. undici's per-phase timeouts are off (they restart with every chunk).

import { Agent, errors as undiciErrors, type buildConnector } from 'undici';
import type { JobKey } from '../../core/model/job.js';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { Deliverer } from '../../core/ports/deliverer.js';
import { readActorCall } from './actor-call.js';
import { ActorHosts, type ActorAppDirectory } from './actor-hosts.js';
import { rawPayloadAsJson } from '../../core/model/raw-payload.js';

export interface ActorDelivererOptions {
  /** Certificates trusted for https app URLs (the system's roots plus --app-tls-ca); Node's defaults when absent. */
  ca?: Array<string | Buffer>;
  /**
   * Opens connections given this Agent's connect timeout and CAs: main.ts passes one that applies
   * the outbound policy (--allow-outbound) to the address each connection resolves to. undici's own when absent.
   */
  connector?: (settings: { timeout: number; ca?: Array<string | Buffer> }) => buildConnector.connector;
  /** Deadline of one attempt, ms: from deliver(), host lookup and the wait for a connection included, to the last byte. */
  timeoutMs: number;
  /** Most connections open to one app endpoint (origin); more calls wait for one, inside their deadline. */
  connectionsPerEndpoint: number;
  /** Timeout of one GET /dapr/config, ms. */
  configTimeoutMs: number;
  /** An app's /dapr/config answer is used for this long before it is fetched again, ms. */
  configTtlMs: number;
  /** When no app hosts a type, configs older than this are fetched again, ms. */
  missRefreshMs: number;
  /** While triggers are staged, how often to look for a host again, ms. */
  stagedRecheckMs: number;
  now: () => number;
}

export const defaultActorDelivererOptions: ActorDelivererOptions = {
  timeoutMs: 30_000,
  connectionsPerEndpoint: 64,
  configTimeoutMs: 5_000,
  configTtlMs: 30_000,
  missRefreshMs: 1_000,
  stagedRecheckMs: 2_000,
  now: Date.now,
};

/** Jobs of one app (the engine stages per app) that wait for a host of these actor types. */
interface Waiting {
  namespace: string;
  appId: string;
  actorTypes: Set<string>;
  /** Last time a trigger of this app was staged. */
  stagedAt: number;
}

export class ActorDeliverer implements Deliverer {
  private readonly agent: Agent;
  private readonly options: ActorDelivererOptions;
  readonly hosts: ActorHosts;
  private readonly waiting = new Map<string, Waiting>();
  private readonly releaseListeners: Array<(namespace: string, appId: string) => void> = [];
  private recheckTimer: NodeJS.Timeout | undefined;
  private rechecking: Promise<void> | undefined;
  private closed = false;

  constructor(apps: ActorAppDirectory, options: Partial<ActorDelivererOptions> = {}) {
    this.options = { ...defaultActorDelivererOptions, ...options };
    this.agent = new Agent({
      connections: this.options.connectionsPerEndpoint,
      // Off: the attempt's deadline covers both phases and the wait before them.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: connectOption(this.options, Math.min(this.options.timeoutMs, MAX_CONNECT_TIMEOUT_MS)),
    });
    this.hosts = new ActorHosts(apps, this.agent, this.options);
  }

  /**
   * Called with (namespace, appId of the staged jobs) when a host appeared for triggers this
   * deliverer staged: the composition root hands them to engine.releaseStaged.
   */
  onHostAvailable(listener: (namespace: string, appId: string) => void): void {
    this.releaseListeners.push(listener);
  }

  deliver(trigger: Trigger): Promise<Outcome> {
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
        const error = new Error(`delivery timeout: the reminder call did not complete within ${this.options.timeoutMs} ms`);
        settle({ kind: 'failed', detail: error.message });
        controller.abort(error);
      }, this.options.timeoutMs);
      void this.attempt(trigger, controller.signal).then(settle);
    });
  }

  /** One attempt, host lookup to the response's end; never rejects. */
  private async attempt(trigger: Trigger, signal: AbortSignal): Promise<Outcome> {
    const call = readActorCall(trigger);
    if (!call) return { kind: 'failed', detail: 'target.actor needs a non-empty "type" and "id"' };
    const { namespace } = trigger.key;
    let host: Awaited<ReturnType<ActorHosts['pick']>>;
    try {
      host = await this.hosts.pick(namespace, call.actorType, call.actorId, call.ownerAppId);
    } catch (error) {
      return { kind: 'failed', detail: describe(error) };
    }
    if (signal.aborted) return { kind: 'failed', detail: describe(signal.reason) };
    if (!host) {
      this.remember(trigger.key, call.actorType);
      return { kind: 'staged', detail: `no app in namespace "${namespace}" hosts actor type "${call.actorType}"` };
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'duetime-scheduled-time': new Date(trigger.scheduledAt).toISOString(),
      'duetime-attempt': String(trigger.attempt),
      'duetime-trigger-id': trigger.triggerId,
    };
    if (host.endpoint.token) headers['dapr-api-token'] = host.endpoint.token;
    if (trigger.trace) headers.traceparent = trigger.trace.traceparent;
    if (trigger.trace?.tracestate !== undefined) headers.tracestate = trigger.trace.tracestate;
    const data = trigger.rawData ? rawPayloadAsJson(trigger.rawData) : (trigger.data ?? null);
    const body = JSON.stringify({ data, dueTime: call.dueTime, period: call.period });
    const segments = [call.actorType, call.actorId, 'method', 'remind', call.reminderName];
    // A reminder stored before Dapr's name rule was applied: "." or ".." cannot be encoded out of
    // a path (a URL parser resolves %2E too), so it would call another route of the app.
    const dotted = segments.find((segment) => segment === '.' || segment === '..');
    if (dotted !== undefined) return { kind: 'failed', detail: `"${dotted}" cannot be sent as a segment of the actor's URL; delete this reminder and create it under another name` };
    try {
      const url = new URL(host.endpoint.url);
      const basePath = url.pathname.replace(/\/$/, '');
      const [type, id, , , name] = segments.map(encodeURIComponent);
      const response = await this.agent.request({
        origin: url.origin,
        path: `${basePath}/actors/${type}/${id}/method/remind/${name}`,
        method: 'PUT',
        headers,
        body,
        signal,
      });
      // Read to the end (dump() would stop quietly at an abort): a body that never completes is no answer.
      await drain(response.body);
      const status = response.statusCode;
      if (cancelRequested(response.headers['x-daprremindercancel'])) return { kind: 'cancel', detail: `HTTP ${status} from ${host.appId} with X-DaprReminderCancel` };
      if ((status >= 200 && status < 300) || status === 404) return { kind: 'done', detail: `HTTP ${status} from ${host.appId}` };
      return { kind: 'failed', detail: `HTTP ${status} from ${host.appId}` };
    } catch (error) {
      return { kind: 'failed', detail: describe(error) };
    }
  }

  /**
   * Looks for hosts of the staged triggers' types again (after an app registered, and every
   * stagedRecheckMs while any are staged) and releases those that have one. An app's entry stays
   * until a recheck finds it quiet, so a trigger staged while a release was under way is not missed.
   */
  recheck(): Promise<void> {
    this.rechecking ??= this.runRecheck().finally(() => {
      this.rechecking = undefined;
    });
    return this.rechecking;
  }

  private async runRecheck(): Promise<void> {
    const quietBefore = this.options.now() - this.options.stagedRecheckMs;
    for (const [key, entry] of [...this.waiting]) {
      await this.hosts.refresh(entry.namespace, this.options.missRefreshMs);
      const hosted = [...entry.actorTypes].some((type) => this.hosts.hostsNow(entry.namespace, type).length > 0);
      if (!hosted) continue;
      if (entry.stagedAt < quietBefore) this.waiting.delete(key);
      for (const listener of this.releaseListeners) listener(entry.namespace, entry.appId);
    }
    if (this.waiting.size === 0) this.stopTimer();
  }

  private remember(key: JobKey, actorType: string): void {
    const k = `${key.namespace}\u0000${key.appId}`;
    let entry = this.waiting.get(k);
    if (!entry) this.waiting.set(k, (entry = { namespace: key.namespace, appId: key.appId, actorTypes: new Set(), stagedAt: 0 }));
    entry.actorTypes.add(actorType);
    entry.stagedAt = this.options.now();
    if (!this.recheckTimer && !this.closed) {
      this.recheckTimer = setInterval(() => void this.recheck().catch(() => undefined), this.options.stagedRecheckMs);
      this.recheckTimer.unref();
    }
  }

  private stopTimer(): void {
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    this.recheckTimer = undefined;
  }

  /** Stops the rechecks and closes the pool, once; a second call returns the first one's promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.stopTimer();
      await this.rechecking?.catch(() => undefined);
      await this.agent.close();
    })();
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

/** A response body is read and dropped; one larger than this is not read to its end. */
const MAX_DRAINED_BODY_BYTES = 128 * 1024;
/** The longest a TCP (and TLS) connect may take, ms, when the deadline is longer. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/** Reads a body to its end and drops it; rejects when it breaks (an abort, a reset). */
async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > MAX_DRAINED_BODY_BYTES) break; // leaving the loop destroys the body
  }
}

function cancelRequested(value: string | string[] | undefined): boolean {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim().toLowerCase() === 'true';
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
