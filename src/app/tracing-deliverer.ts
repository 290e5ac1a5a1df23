// Wraps the delivery chain when tracing is on: one span per attempt, whose context the delivery
// carries instead of the job's stored one, ended with the attempt's outcome. main.ts adds it only
// when a Tracer exists, so with tracing off a trigger costs nothing here (it still carries the
// stored trace context, which due-trigger.ts copies from the definition).

import type { Outcome, Trigger } from '../core/model/trigger.js';
import type { Deliverer } from '../core/ports/deliverer.js';
import type { SpanResult, Tracer } from '../core/ports/tracer.js';

export class TracingDeliverer implements Deliverer {
  constructor(
    private readonly inner: Deliverer,
    private readonly tracer: Tracer,
  ) {}

  deliver(trigger: Trigger): Promise<Outcome> {
    const span = this.tracer.startAttempt(trigger);
    let attempt: Promise<Outcome>;
    try {
      attempt = this.inner.deliver({ ...trigger, trace: span.context });
    } catch (error) {
      attempt = Promise.reject(error);
    }
    return attempt.then(
      (outcome) => {
        span.end(spanResultOf(outcome));
        return outcome;
      },
      (error: unknown) => {
        // The engine turns a rejection into a failed attempt; the span says the same.
        span.end({ outcome: 'failed', error: true, detail: String(error) });
        throw error;
      },
    );
  }
}

/** An attempt's outcome in the words the engine's history uses (success, failed, staged, cancel). */
export function spanResultOf(outcome: Outcome): SpanResult {
  switch (outcome.kind) {
    case 'done':
      return { outcome: 'success', ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) };
    case 'failed':
      return { outcome: 'failed', error: true, detail: outcome.detail };
    case 'staged':
      return { outcome: 'staged', detail: outcome.detail };
    case 'cancel':
      return { outcome: 'cancel', ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) };
  }
}
