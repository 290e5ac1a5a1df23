// When staged triggers go out again. A trigger is staged when its app had no consumer (no HTTP
// endpoint, no WatchJobs stream, no host of its actor type); it then waits in the store's staged
// index, out of memory. This rule releases an app's staged triggers whenever a consumer of it may
// have appeared:
//
// - an app registered its endpoint (on any replica: registrations are cluster state);
// - a WatchJobs stream of the app connected here (it may also host actor types, so the whole
//   namespace's staged reminders are tried);
// - an actor host appeared for reminders that were waiting for one;
// - a trigger was staged while a consumer was already there (it connected during the attempt);
// - this replica started, or took over partitions (their staged jobs may belong to live apps);
// - every sweepMs, as a safety net for a release that ended on a store error.

import type { Clock, TimerHandle } from '../core/clock.js';
import type { Engine } from '../core/engine/engine.js';
import { appKeyString } from '../core/model/job-key.js';

export interface StagedReleaseSources {
  /** The app has a registered HTTP endpoint. */
  hasEndpoint(namespace: string, appId: string): boolean;
  /** Every app with a registered endpoint. */
  endpoints(): Array<{ namespace: string; appId: string }>;
  onRegistered(listener: (namespace: string, appId: string) => void): void;
  /** A WatchJobs consumer of the app is connected to this replica. */
  hasConsumer(namespace: string, appId: string): boolean;
  onConsumerConnected(listener: (namespace: string, appId: string) => void): void;
  /** An actor host appeared for reminders of this app that were staged. */
  onActorHostAvailable(listener: (namespace: string, appId: string) => void): void;
}

export interface StagedReleaseOptions {
  /** How often every live app's staged triggers are tried again. @defaultValue 60000 */
  sweepMs: number;
}

export const STAGED_RELEASE_DEFAULTS: StagedReleaseOptions = { sweepMs: 60_000 };

export class StagedRelease {
  /** Apps that connected a stream here at some point: the sweep checks whether they still are. */
  private readonly streamed = new Map<string, { namespace: string; appId: string }>();
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly options: StagedReleaseOptions;

  constructor(
    private readonly engine: Engine,
    private readonly sources: StagedReleaseSources,
    private readonly clock: Clock,
    options: Partial<StagedReleaseOptions> = {},
  ) {
    this.options = { ...STAGED_RELEASE_DEFAULTS, ...options };
    sources.onRegistered((namespace, appId) => engine.releaseStaged(namespace, appId));
    sources.onActorHostAvailable((namespace, appId) => engine.releaseStaged(namespace, appId));
    sources.onConsumerConnected((namespace, appId) => {
      this.streamed.set(appKeyString(namespace, appId), { namespace, appId });
      engine.releaseStaged(namespace, appId);
      engine.releaseStagedInNamespace(namespace); // it may host actor types other apps' reminders wait for
    });
    engine.events.on('staged', ({ key }) => {
      if (this.isLive(key.namespace, key.appId)) engine.releaseStaged(key.namespace, key.appId);
    });
    engine.events.on('ownership', () => this.releaseLive());
  }

  /** Releases what live apps have staged now, and then every sweepMs. */
  start(): void {
    this.running = true;
    this.releaseLive();
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Every app with an endpoint or a stream here gets its staged triggers released. */
  releaseLive(): void {
    for (const { namespace, appId } of this.sources.endpoints()) this.engine.releaseStaged(namespace, appId);
    for (const [key, { namespace, appId }] of this.streamed) {
      if (!this.sources.hasConsumer(namespace, appId)) {
        this.streamed.delete(key);
        continue;
      }
      this.engine.releaseStaged(namespace, appId);
    }
  }

  private isLive(namespace: string, appId: string): boolean {
    return this.sources.hasConsumer(namespace, appId) || this.sources.hasEndpoint(namespace, appId);
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimer(this.clock.now() + this.options.sweepMs, () => {
      this.releaseLive();
      this.arm();
    });
  }
}
