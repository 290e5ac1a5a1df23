// Picks the channel for each trigger by its target's kind: for the app, a connected stream
// consumer of the app (gRPC WatchJobs) first, else the app's HTTP endpoint, else the trigger is
// staged until one appears; every other kind goes to the deliverer registered for it
// (components, service invocation, cron bindings, actors). The switch is exhaustive: a target
// kind added to the union and not handled here fails to compile.

import { unhandledTarget, type TargetKind } from '../core/model/target.js';
import type { Outcome, Trigger } from '../core/model/trigger.js';
import { answerWith, deliverVia, type Deliverer, type OutcomeReceiver } from '../core/ports/deliverer.js';

/** A consumer channel that may or may not have a live consumer for an app right now. */
export interface ConsumerChannel extends Deliverer {
  hasConsumer(namespace: string, appId: string): boolean;
}

/** The kinds delivered by a deliverer of their own (the app has the HTTP and stream channels). */
export type RoutedTargetKind = Exclude<TargetKind, 'app' | 'unreadable'>;

export class DeliveryRouter implements Deliverer {
  private readonly byKind: Partial<Record<RoutedTargetKind, Deliverer>> = {};
  private stream: ConsumerChannel | undefined;

  constructor(private readonly http: Deliverer) {}

  /** Stream consumers (WatchJobs) take an app's triggers while connected. */
  useStream(stream: ConsumerChannel): void {
    this.stream = stream;
  }

  /** Triggers whose target is of this kind go to this deliverer. */
  route(kind: RoutedTargetKind, deliverer: Deliverer): void {
    this.byKind[kind] = deliverer;
  }

  /**
   * deliver in the callback form: an app's trigger goes out without a promise, to its connected
   * stream consumer or over HTTP (each channel's own callback form when it has one).
   */
  deliverTo(trigger: Trigger, receiver: OutcomeReceiver): void {
    if (trigger.target.kind === 'app') {
      const stream = this.stream;
      deliverVia(stream?.hasConsumer(trigger.key.namespace, trigger.key.appId) ? stream : this.http, trigger, receiver);
    } else answerWith(this.deliver(trigger), receiver); // deliver never throws: every case answers a promise
  }

  deliver(trigger: Trigger): Promise<Outcome> {
    const target = trigger.target;
    switch (target.kind) {
      case 'app':
        if (this.stream?.hasConsumer(trigger.key.namespace, trigger.key.appId)) return this.stream.deliver(trigger);
        return this.http.deliver(trigger);
      case 'unreadable':
        return Promise.resolve({ kind: 'failed', detail: target.problem });
      case 'actor':
      case 'pubsub':
      case 'invoke':
      case 'state':
      case 'binding':
      case 'inputBinding':
        return this.routed(target.kind, trigger);
      default:
        return unhandledTarget(target);
    }
  }

  private routed(kind: RoutedTargetKind, trigger: Trigger): Promise<Outcome> {
    const deliverer = this.byKind[kind];
    if (!deliverer) return Promise.resolve({ kind: 'failed', detail: `no deliverer for target "${kind}"` });
    return deliverer.deliver(trigger);
  }
}
