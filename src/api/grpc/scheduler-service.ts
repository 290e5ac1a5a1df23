// dapr.proto.scheduler.v1.Scheduler (port 50006): Dapr's control-plane API, which a Dapr sidecar
// and Duetime's SDK call. The owner of a job is the request's JobMetadata{app_id, namespace};
// a metadata target of actor{type, id} names actor reminders instead of the app's own jobs
// (scheduler-reminders.ts).

import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StreamConsumers } from '../../core/ports/stream-consumers.js';
import type { Caller, IdentityOptions } from '../../app/caller-identity.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import type { Metadata } from '@grpc/grpc-js';
import { schedulerCaller } from './call-identity.js';
import type { StreamRechecks } from './stream-rechecks.js';
import { traceContextOf } from './trace-metadata.js';
import { toGrpcError } from './grpc-errors.js';
import { jobToScheduleArguments, jobViewToFields, mapEncodable } from './job-mapping.js';
import type { JobFieldsMessage, JobMetadataMessage } from '@duetime/sdk/protocol';
import { listAll } from './runtime-service.js';
import { actorOf, SchedulerReminders, type NamedJobMessage } from './scheduler-reminders.js';
import { unary } from './unary.js';
import { handleWatchJobs, type WatchJobsCall } from './watch-jobs.js';

export interface SchedulerServiceDeps {
  jobs: JobsService;
  reminders: RemindersService;
  streams: StreamConsumers;
  identity: IdentityOptions;
  logger: Logger;
  /** host:port of this replica's scheduler API. */
  address: () => string;
  /** In a cluster: every live replica's scheduler address; WatchHosts announces them. */
  hosts?: SchedulerHosts;
  /** Open streaming calls, ended when the server stops. */
  openCalls: Set<WatchJobsCall | ServerWritableStream<unknown, unknown>>;
  /** Streams checked again when the API tokens change (a revoked token's stream is ended). */
  rechecks?: StreamRechecks;
}

export interface SchedulerHosts {
  /** host:port of each live replica's scheduler API; empty while unknown (this replica alone is announced then). */
  addresses(): string[];
  /** Called on any change that may have changed the addresses. */
  onChange(listener: () => void): () => void;
}

interface Owned {
  metadata: JobMetadataMessage | null;
}

export function schedulerService(deps: SchedulerServiceDeps): UntypedServiceImplementation {
  const { jobs, identity, logger } = deps;
  const reminders = new SchedulerReminders(deps.reminders, logger);
  const ownerOf = (metadata: Metadata, request: Owned): Caller => schedulerCaller(metadata, request.metadata, identity);
  const keyOf = (owner: Caller, name: string) => ({ namespace: owner.namespace, appId: owner.appId, name });

  return {
    ScheduleJob: unary<Owned & { name: string; job: JobFieldsMessage | null; overwrite: boolean }, object>(logger, async (call) => {
      const { request } = call;
      const owner = ownerOf(call.metadata, request);
      const actor = actorOf(request.metadata);
      if (actor) {
        await reminders.schedule(owner, actor, request.name, request.job, request.overwrite);
        return {};
      }
      const { body, rawData } = jobToScheduleArguments(request.job, request.overwrite, jobs.dataLimits);
      await jobs.schedule(keyOf(owner, request.name), body, rawData, traceContextOf(call.metadata));
      return {};
    }),
    GetJob: unary<Owned & { name: string }, { job: JobFieldsMessage }>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const actor = actorOf(call.request.metadata);
      if (actor) return { job: await reminders.get(owner, actor, call.request.name) };
      return { job: jobViewToFields(await jobs.get(keyOf(owner, call.request.name), { hideFinished: true })) };
    }),
    DeleteJob: unary<Owned & { name: string }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const actor = actorOf(call.request.metadata);
      if (actor) await reminders.delete(owner, actor, call.request.name);
      else await jobs.delete(keyOf(owner, call.request.name));
      return {};
    }),
    ListJobs: unary<Owned, { jobs: NamedJobMessage[] }>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const actor = actorOf(call.request.metadata);
      if (actor) return { jobs: await reminders.list(owner, actor) };
      const views = await listAll(jobs, owner.namespace, owner.appId);
      const metadata: JobMetadataMessage = { appId: owner.appId, namespace: owner.namespace, target: { job: {} } };
      return { jobs: mapEncodable(views, (view) => ({ name: view.name, metadata, job: jobViewToFields(view) }), logger) };
    }),
    DeleteByMetadata: unary<Owned & { idPrefixMatch?: boolean }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const actor = actorOf(call.request.metadata);
      if (actor) await reminders.deleteByActor(owner, actor, call.request.idPrefixMatch === true);
      else await jobs.deleteByPrefix(owner.namespace, owner.appId, '');
      return {};
    }),
    DeleteByNamePrefix: unary<Owned & { namePrefix: string }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const actor = actorOf(call.request.metadata);
      if (actor) await reminders.deleteByNamePrefix(owner, actor, call.request.namePrefix ?? '');
      else await jobs.deleteByPrefix(owner.namespace, owner.appId, call.request.namePrefix ?? '');
      return {};
    }),
    WatchJobs: (call: WatchJobsCall) => handleWatchJobs(call, { ...deps, openCalls: deps.openCalls as Set<WatchJobsCall> }),
    WatchHosts: (call: ServerWritableStream<unknown, unknown>) => {
      // Behind the same token rules as every other call: with tokens configured, a valid one.
      if (identity.tokens.required) {
        try {
          schedulerCaller(call.metadata, null, identity);
        } catch (error) {
          call.emit('error', toGrpcError(error, logger));
          return;
        }
      }
      // The addresses now, and again whenever the set changes; the stream stays open until the
      // client leaves or the server stops, so the sidecar keeps watching.
      deps.openCalls.add(call);
      let sent = '';
      const send = (): void => {
        if (call.cancelled || call.destroyed || call.writableEnded) return;
        const known = deps.hosts?.addresses() ?? [];
        const addresses = known.length > 0 ? known : [deps.address()];
        const key = addresses.join(' ');
        if (key === sent) return;
        sent = key;
        call.write({ hosts: addresses.map((address) => ({ address })) });
      };
      const unsubscribe = deps.hosts?.onChange(send);
      let forgetRecheck: (() => void) | undefined;
      const forget = (): void => {
        unsubscribe?.();
        forgetRecheck?.();
        deps.openCalls.delete(call);
      };
      // Its token was checked at open only: a reload that revokes it ends the stream.
      if (identity.tokens.required) {
        forgetRecheck = deps.rechecks?.add({
          recheck: () => {
            try {
              schedulerCaller(call.metadata, null, identity);
              return undefined;
            } catch (error) {
              return error;
            }
          },
          revoke: () => undefined, // it carries no triggers
          end: (error) => {
            forget();
            call.emit('error', toGrpcError(error, logger));
          },
        });
      }
      call.on('cancelled', forget);
      call.on('close', forget);
      send();
    },
  };
}
