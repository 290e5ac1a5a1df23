// The deliverers of the component targets: each takes its typed target (checked when the job was
// written), finds the component and calls its port. Whatever goes wrong (a component down, a
// timeout, a target that no longer matches the components folder) is a failed attempt with the
// reason, under the job's failure policy; nothing here throws.
//
// Each attempt is held to --delivery-timeout (deadlineMs): past it, the attempt fails at once.
// The component's own call cannot be cancelled through its port; its own timeouts
// (connectTimeout, operationTimeout: 5 s each by default) end it. A publish that still lands
// after the deadline is repeated by the retry under the same CloudEvent id (the trigger id), so
// a subscriber can de-duplicate.

import type { RawPayload, Target } from '../../core/model/job.js';
import type { TargetKind, TargetOf } from '../../core/model/target.js';
import { SCHEDULE_CODE } from '../../core/model/target-specs.js';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { Deliverer } from '../../core/ports/deliverer.js';
import type { ComponentDirectory } from './component-directory.js';

/** `{"pubsub":...}`: publishes the data as a CloudEvent whose id is the trigger id (stable across retries). */
export class PubsubDeliverer implements Deliverer {
  constructor(
    private readonly components: ComponentDirectory,
    private readonly deadlineMs: number,
  ) {}

  deliver(trigger: Trigger): Promise<Outcome> {
    return attempt(this.deadlineMs, async () => {
      const spec = targetFor(trigger.target, 'pubsub');
      const publisher = this.components.pubsub(spec.name, trigger.key.appId, { code: SCHEDULE_CODE, field: 'target.pubsub.name' });
      await publisher.publish({
        topic: spec.topic,
        data: payloadOf(trigger),
        metadata: spec.metadata,
        id: trigger.triggerId,
        source: trigger.key.appId,
        // The CloudEvent carries the attempt's trace context (distributed tracing extension).
        ...(trigger.trace ? { traceparent: trigger.trace.traceparent } : {}),
        ...(trigger.trace?.tracestate !== undefined ? { tracestate: trigger.trace.tracestate } : {}),
      });
      return `published to ${spec.name}/${spec.topic}`;
    });
  }
}

/** `{"state":...}`: saves the data (null when the job has none) under the key. */
export class StateDeliverer implements Deliverer {
  constructor(
    private readonly components: ComponentDirectory,
    private readonly deadlineMs: number,
  ) {}

  deliver(trigger: Trigger): Promise<Outcome> {
    return attempt(this.deadlineMs, async () => {
      const spec = targetFor(trigger.target, 'state');
      const store = this.components.stateStore(spec.store, trigger.key.appId, { code: SCHEDULE_CODE, field: 'target.state.store' });
      await store.save(spec.key, payloadOf(trigger) ?? null);
      return `saved to ${spec.store} key ${spec.key}`;
    });
  }
}

/** `{"binding":...}`: invokes the output binding's operation with the data and metadata. */
export class BindingDeliverer implements Deliverer {
  constructor(
    private readonly components: ComponentDirectory,
    private readonly deadlineMs: number,
  ) {}

  deliver(trigger: Trigger): Promise<Outcome> {
    return attempt(this.deadlineMs, async () => {
      const spec = targetFor(trigger.target, 'binding');
      const binding = this.components.binding(spec.name, trigger.key.appId, { code: SCHEDULE_CODE, field: 'target.binding.name' });
      const response = await binding.invoke({ operation: spec.operation, data: payloadOf(trigger), metadata: spec.metadata });
      return `binding ${spec.name} ${spec.operation}${response.status !== undefined ? `: HTTP ${response.status}` : ''}`;
    });
  }
}

/**
 * What a component receives: the job's data, or a gRPC non-JSON payload as its JSON object
 * {"typeUrl","value" (base64)} — components take JSON values.
 */
function payloadOf(trigger: Trigger): unknown {
  if (trigger.rawData) return { typeUrl: trigger.rawData.typeUrl, value: trigger.rawData.value } satisfies RawPayload;
  return trigger.data;
}

/** The router hands each deliverer only its own kind; anything else fails the attempt. */
function targetFor<K extends TargetKind>(target: Target, kind: K): TargetOf<K> {
  if (target.kind !== kind) throw new Error(`not a ${kind} target`);
  return target as TargetOf<K>;
}

function attempt(deadlineMs: number, run: () => Promise<string>): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const deadline = setTimeout(() => settle({ kind: 'failed', detail: `delivery timeout: the component call did not complete within ${deadlineMs} ms` }), deadlineMs);
    run().then(
      (detail) => settle({ kind: 'done', detail }),
      (error: unknown) => settle({ kind: 'failed', detail: error instanceof Error ? error.message : String(error) }),
    );
  });
}
