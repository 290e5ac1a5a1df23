/*
 * Follows WatchHosts (scheduler API): the addresses of every live scheduler replica, sent at once
 * and again on each change of membership. One call at a time, to one replica; when it breaks,
 * the next attempt goes (after a capped, jittered backoff) to another address it knows.
 *
 *   reading the token (at once for a string) --read--> asking
 *                     --the token function failed--> waiting (backoff), reported
 *   asking --a host list arrives--> following (backoff reset; each later list is reported too)
 *   asking|following --call ends or fails--> waiting (backoff) --> reading the token --> asking (the next address)
 *   asking|following --UNAUTHENTICATED / PERMISSION_DENIED--> waiting, reported as a refusal of
 *          the token, not as a missing WatchHosts (below)
 *   asking --UNIMPLEMENTED (or another refusal that no retry fixes)--> unsupported: reported once,
 *          no more calls (a server without WatchHosts: listen() keeps to the addresses it was given)
 *   any --stop()--> stopped
 */

import { status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { withApiToken, type ApiTokenOption } from './api-token.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { callMetadata, schedulerClient, type SchedulerClient, type WatchHostsCall } from './scheduler-channel.js';

/** Codes after which asking again (here or elsewhere) may succeed. */
const RETRYABLE = new Set<number>([status.UNAVAILABLE, status.CANCELLED, status.DEADLINE_EXCEEDED, status.UNKNOWN, status.INTERNAL, status.RESOURCE_EXHAUSTED, status.ABORTED]);

/**
 * The server has WatchHosts but refuses this token. Not "unsupported": giving up would keep a
 * listener in a cluster on its given addresses for good, missing the other replicas' jobs once the
 * token holds (the server's tokens are reloaded on SIGHUP, replicas one at a time, so another
 * replica, or this one later, may accept it). Asked again with the backoff, like the WatchJobs
 * streams, which the server refuses for the same token.
 */
const TOKEN_REFUSED = new Set<number>([status.UNAUTHENTICATED, status.PERMISSION_DENIED]);

export interface HostsWatchOptions {
  /** Read again at each (re)open: a function picks up a rotated token. */
  apiToken?: ApiTokenOption;
  credentials?: ChannelCredentials;
  reconnect?: BackoffOptions;
  /** Addresses to ask, most promising first; called before each attempt. */
  candidates: () => string[];
  /** A host list from the replica at `via`. */
  onHosts: (hosts: string[], via: string) => void;
  /** The replica at `via` has no WatchHosts (or refuses it for good). */
  onUnsupported: (via: string, error: Error) => void;
  report: (error: Error) => void;
}

export class HostsWatch {
  private readonly backoff: Backoff;
  private client: SchedulerClient | undefined;
  private call: WatchHostsCall | undefined;
  private via: string | undefined;
  private lastFailed: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: HostsWatchOptions) {
    this.backoff = new Backoff(options.reconnect);
  }

  start(): void {
    if (this.stopped) return;
    withApiToken(
      this.options.apiToken,
      (token) => this.ask(token),
      (error) => this.retry(`WatchHosts not asked: ${error.message}`),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client?.close();
  }

  /** Asks the next candidate, unless stop() came while the token was being read. */
  private ask(apiToken: string | undefined): void {
    if (this.stopped) return;
    const candidates = this.options.candidates();
    // Not the address that failed last, when there is another.
    const after = this.lastFailed === undefined ? -1 : candidates.indexOf(this.lastFailed);
    const address = candidates[(after + 1) % candidates.length]!;
    if (this.via !== address) {
      this.client?.close();
      this.client = schedulerClient(address, this.options.credentials, this.options.reconnect);
      this.via = address;
    }
    const call = this.client!.WatchHosts({}, callMetadata(apiToken));
    this.call = call;
    call.on('data', (message: { hosts?: Array<{ address?: string }> | null }) => {
      if (this.call !== call || this.stopped) return;
      const hosts = [...new Set((message.hosts ?? []).map((h) => h.address ?? '').filter((a) => a !== ''))].sort();
      this.backoff.reset();
      this.lastFailed = undefined;
      this.options.onHosts(hosts, address);
    });
    call.on('error', (error: ServiceError) => this.lost(call, address, error));
    call.on('end', () => this.lost(call, address));
  }

  private lost(call: WatchHostsCall, address: string, error?: ServiceError): void {
    if (this.call !== call) return;
    this.call = undefined;
    if (this.stopped) return;
    if (error && !RETRYABLE.has(error.code) && !TOKEN_REFUSED.has(error.code)) {
      this.stopped = true;
      this.client?.close();
      this.options.onUnsupported(address, error);
      return;
    }
    this.lastFailed = address;
    const what = !error ? 'ended' : TOKEN_REFUSED.has(error.code) ? `was refused (${error.message}): check the listener's apiToken` : `failed: ${error.message}`;
    this.retry(`WatchHosts on ${address} ${what}`);
  }

  /** Reports what went wrong and starts again (token read first) after the backoff. */
  private retry(what: string): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.options.report(new Error(`${what}; asking again in ${delay} ms`));
    this.retryTimer = setTimeout(() => this.start(), delay);
  }
}
