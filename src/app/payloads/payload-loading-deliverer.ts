// Sits between the engine and the delivery router: a trigger whose job keeps its payload in the
// jobStateStore gets the payload read back here, so every channel (app HTTP, stream consumers,
// components, actors) sees a trigger with its data. A read failure is a failed attempt: the
// job's failure policy decides what follows.

import type { Outcome, Trigger } from '../../core/model/trigger.js';
import { answerWith, deliverVia, type Deliverer, type OutcomeReceiver } from '../../core/ports/deliverer.js';
import type { JobPayloads } from './job-payloads.js';

export class PayloadLoadingDeliverer implements Deliverer {
  constructor(
    private readonly inner: Deliverer,
    private readonly payloads: JobPayloads,
  ) {}

  // Not async itself: a trigger without a payload reference (nearly all) is handed on as it is,
  // without another promise around the inner one, once per delivery.
  deliver(trigger: Trigger): Promise<Outcome> {
    return trigger.dataRef ? this.loadAndDeliver(trigger, trigger.dataRef) : this.inner.deliver(trigger);
  }

  /** deliver in the callback form, passed on as it is for a trigger without a payload reference. */
  deliverTo(trigger: Trigger, receiver: OutcomeReceiver): void {
    if (trigger.dataRef) answerWith(this.loadAndDeliver(trigger, trigger.dataRef), receiver);
    else deliverVia(this.inner, trigger, receiver);
  }

  private async loadAndDeliver(trigger: Trigger, dataRef: NonNullable<Trigger['dataRef']>): Promise<Outcome> {
    let loaded;
    try {
      loaded = await this.payloads.load(dataRef);
    } catch (error) {
      return { kind: 'failed', detail: error instanceof Error ? error.message : String(error) };
    }
    const { dataRef: _ref, ...rest } = trigger;
    return this.inner.deliver({ ...rest, data: loaded.data, ...(loaded.rawData ? { rawData: loaded.rawData } : {}) });
  }
}
