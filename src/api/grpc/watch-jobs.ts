/*
 * WatchJobs (scheduler API): a consumer's bidirectional stream. The client's first message is
 * `initial{app_id, namespace, actor_types, accept_job_types}`; the server then sends one
 * WatchJobsResponse per trigger and the client answers each with `result{id, status}`.
 *
 *   waiting --initial (identity checked)--> consuming: registered with the StreamChannel;
 *                                           response headers are sent as the "you're in" signal
 *   waiting --result, or no message type--> ended with INVALID_ARGUMENT
 *   consuming --result--> consuming (the consumer settles that trigger)
 *   consuming --a write answers false--> consuming, held back: triggers wait in the consumer
 *        until 'drain' (grpc-js has written what it buffered), then go out in order
 *   consuming --second initial--> ended with INVALID_ARGUMENT
 *   consuming --the API tokens changed and the stream's token is no longer valid, or now acts as
 *        another app (stream-rechecks.ts)--> revoked: takes no trigger (one offered goes back to
 *        the channel) --> ended with UNAUTHENTICATED / PERMISSION_DENIED, its triggers handed on
 *   any --client half-close / cancel / error / server stop--> ended; the consumer closes and its
 *        triggers in flight go to another consumer or back to the engine as staged
 */

import { Metadata, status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { IdentityOptions } from '../../app/caller-identity.js';
import { ownerOfReminderApp } from '../../app/reminders/reminder-keys.js';
import { UnsendableTriggerError, type ConnectedConsumer, type StreamConsumers } from '../../core/ports/stream-consumers.js';
import { actorCallOf } from '../../core/model/target.js';
import type { TraceContext } from '../../core/model/trace-context.js';
import type { Trigger } from '../../core/model/trigger.js';
import { schedulerCaller, schedulerCallerChanged } from './call-identity.js';
import { GrpcStatusError, toGrpcError } from './grpc-errors.js';
import { encodeWatchJobsResponse, encodeWatchJobsResponseInto, JOB_TARGET_TYPE_ACTOR_REMINDER, JOB_TARGET_TYPE_JOB, type WatchJobsRequestMessage, type WatchJobsResponseFields } from '@duetime/sdk/protocol';
import { anyViewFromPayload } from './payload.js';
import type { StreamRechecks } from './stream-rechecks.js';
import { directWatchJobsOf, type ResponseWriter } from './watch-jobs-writer.js';

/** Response header sent once the initial message is accepted. */
export const ACCEPTED_HEADER = 'duetime-watch';

/** Responses go out as bytes already encoded (watch-jobs-codec.ts passes them through). */
export type WatchJobsCall = ServerDuplexStream<WatchJobsRequestMessage, Buffer>;

export interface WatchJobsDeps {
  streams: StreamConsumers;
  identity: IdentityOptions;
  logger: Logger;
  /** Open calls, so the server can end them when it stops. */
  openCalls: Set<WatchJobsCall>;
  /** Where an accepted stream is held to be checked again when the tokens change. */
  rechecks?: StreamRechecks;
}

export function handleWatchJobs(call: WatchJobsCall, deps: WatchJobsDeps): void {
  const { streams, identity, logger, openCalls } = deps;
  // Set by the directWatchJobsWrites interceptor (grpc-servers.ts installs it).
  const direct = directWatchJobsOf(call.metadata);
  const writer = direct?.writer;
  let consumer: ConnectedConsumer | undefined;
  let ended = false;
  // Its token was revoked (or rebound) by a reload: it is about to be ended and takes nothing more.
  let revoked = false;
  let forgetRecheck: (() => void) | undefined;
  openCalls.add(call);

  const finish = (): void => {
    if (ended) return;
    ended = true;
    direct?.acks?.detach();
    openCalls.delete(call);
    forgetRecheck?.();
    consumer?.close();
  };
  const fail = (error: unknown): void => {
    finish();
    call.emit('error', toGrpcError(error, logger));
  };

  call.on('data', (message: WatchJobsRequestMessage) => {
    if (ended) return;
    if (message.watchJobRequestType === 'initial') {
      if (consumer) {
        fail(new GrpcStatusError(status.INVALID_ARGUMENT, 'ERR_MALFORMED_REQUEST', 'initial was sent twice; send it once, first'));
        return;
      }
      try {
        const initial = message.initial;
        const caller = schedulerCaller(call.metadata, initial, identity);
        const accepts = initial.acceptJobTypes ?? [];
        // Headers first: connecting releases staged triggers at once, and a message written
        // before sendMetadata would send default headers without the accepted mark.
        const accepted = new Metadata();
        accepted.set(ACCEPTED_HEADER, 'accepted'); // tells the client it is registered (the SDK waits for it)
        call.sendMetadata(accepted);
        consumer = streams.connect(
          {
            namespace: caller.namespace,
            appId: caller.appId,
            actorTypes: initial.actorTypes ?? [],
            acceptsJobs: accepts.length === 0 || accepts.includes(JOB_TARGET_TYPE_JOB),
            acceptsReminders: accepts.length === 0 || accepts.includes(JOB_TARGET_TYPE_ACTOR_REMINDER),
          },
          {
            send: (id, trigger) => {
              // A throw closes the consumer, which hands this trigger and the others on.
              if (revoked) throw new Error('the stream\'s API token is no longer valid for it');
              return send(call, writer, id, trigger);
            },
          },
        );
        // A write answered false (more than the high-water mark waits to be written): the
        // consumer holds its triggers back until the stream has written what it holds.
        const connected = consumer;
        if (writer) writer.onDrain(() => connected.drained());
        else call.on('drain', () => connected.drained());
        // From here plain acks come in batches from below grpc-js, one batch per chunk read;
        // anything else still arrives as a 'data' message.
        direct?.acks?.attach((ids, failed, count) => {
          const unknown = connected.results(ids, failed, count);
          if (unknown > 0) logger.debug({ unknown }, 'WatchJobs results for unknown or expired ids ignored');
        });
        forgetRecheck = deps.rechecks?.add({
          recheck: () => schedulerCallerChanged(call.metadata, initial, identity, caller),
          revoke: () => (revoked = true),
          end: fail,
        });
        logger.debug({ namespace: caller.namespace, appId: caller.appId }, 'WatchJobs consumer connected');
      } catch (error) {
        fail(error);
      }
      return;
    }
    if (message.watchJobRequestType === 'result') {
      if (!consumer) {
        fail(new GrpcStatusError(status.INVALID_ARGUMENT, 'ERR_MALFORMED_REQUEST', 'the first WatchJobs message must be initial{app_id, namespace, ...}'));
        return;
      }
      const id = Number(message.result.id);
      if (!consumer.result(id, message.result.status === 'FAILED' ? 'FAILED' : 'SUCCESS')) {
        logger.debug({ id: message.result.id }, 'WatchJobs result for an unknown or expired id ignored');
      }
      return;
    }
    fail(new GrpcStatusError(status.INVALID_ARGUMENT, 'ERR_MALFORMED_REQUEST', 'a WatchJobs message must be initial or result'));
  });
  call.on('end', () => {
    // The client half-closed: nothing more will be answered.
    finish();
    call.end();
  });
  call.on('cancelled', finish);
  call.on('close', finish);
  call.on('error', finish);
}

/**
 * Writes without waiting (no await per message): the trigger encoded by hand (the bytes
 * protobufjs would write) into the call's batch of this turn, or handed to the call's
 * ResponseWriter or the object stream where it cannot be batched. False asks the consumer to
 * wait for the drain.
 */
function send(call: WatchJobsCall, writer: ResponseWriter | undefined, id: number, trigger: Trigger): boolean {
  if (call.cancelled || call.destroyed || call.writableEnded) throw new Error('the stream is closed');
  let data: ReturnType<typeof anyViewFromPayload>;
  try {
    // A view of the encoder's scratch bytes: copied into the message below, before any other encoding.
    data = anyViewFromPayload(trigger);
  } catch (error) {
    // Data stored before the depth limit: this trigger fails, the consumer keeps its stream.
    throw new UnsendableTriggerError(error instanceof Error ? error.message : String(error));
  }
  const actor = actorCallOf(trigger.target, trigger.key);
  const fields: WatchJobsResponseFields = {
    // An actor reminder goes out under the reminder's own name (the job key holds a composite one).
    name: actor?.reminderName ?? trigger.key.name,
    id,
    data,
    // A reminder is filed under a reserved app id (reminder-keys.ts); the wire names its owner.
    appId: ownerOfReminderApp(trigger.key.appId) ?? trigger.key.appId,
    namespace: trigger.key.namespace,
    actor: actor ? { type: actor.actorType, id: actor.actorId } : undefined,
    // Duetime's extension field: the attempt's trace context (a Dapr sidecar skips it).
    traceContext: trigger.trace ? traceContextEntries(trigger.trace) : undefined,
  };
  // The usual case: straight into this turn's batch, no Buffer of its own.
  if (writer?.batching()) {
    encodeWatchJobsResponseInto(fields, writer);
    return writer.batched();
  }
  const message = encodeWatchJobsResponse(fields, writer !== undefined); // the writer takes it framed
  return writer ? writer.write(message) : call.write(message);
}

function traceContextEntries(trace: TraceContext): Record<string, string> {
  return trace.tracestate !== undefined ? { traceparent: trace.traceparent, tracestate: trace.tracestate } : { traceparent: trace.traceparent };
}
