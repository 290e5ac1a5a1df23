// The actor-reminder half of dapr.proto.scheduler.v1.Scheduler: requests whose
// JobMetadata.target is `actor{type, id}`. This is how a Dapr sidecar keeps its actors' reminders
// in its scheduler (it turns a reminder's period into a schedule and repeats before it calls).
//
// Which reminders a request names, as Dapr's scheduler selects them:
//   ScheduleJob, GetJob, DeleteJob       one reminder: (type, id, name)
//   ListJobs                             one actor's reminders; every reminder of the type when id is empty
//   DeleteByMetadata                     one actor's; with id_prefix_match, every actor whose id starts with id
//   DeleteByNamePrefix                   one actor's reminders whose names start with name_prefix
// Unlike Dapr, a reminder belongs to the app named in the metadata (as on the HTTP reminder
// routes): another app neither sees nor deletes it (docs/grpc.md).

import type { Logger } from 'pino';
import type { Caller } from '../../app/caller-identity.js';
import { reminderPrefix } from '../../app/reminders/reminder-keys.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import { jobToScheduleArguments, jobViewToFields, mapEncodable } from './job-mapping.js';
import type { JobFieldsMessage, JobMetadataMessage } from '@duetime/sdk/protocol';

export interface ActorRef {
  type: string;
  id: string;
}

export interface NamedJobMessage {
  name: string;
  metadata: JobMetadataMessage;
  job: JobFieldsMessage;
}

/** The actor a request's metadata names, when its target is an actor reminder. */
export function actorOf(metadata: JobMetadataMessage | null | undefined): ActorRef | undefined {
  const actor = metadata?.target?.actor;
  return actor ? { type: actor.type ?? '', id: actor.id ?? '' } : undefined;
}

export class SchedulerReminders {
  constructor(
    private readonly reminders: RemindersService,
    private readonly logger: Logger,
  ) {}

  async schedule(owner: Caller, actor: ActorRef, name: string, job: JobFieldsMessage | null, overwrite: boolean): Promise<void> {
    const { body, rawData } = jobToScheduleArguments(job, overwrite, this.reminders.dataLimits);
    await this.reminders.scheduleAsJob(owner, ref(actor, name), body, rawData);
  }

  async get(owner: Caller, actor: ActorRef, name: string): Promise<JobFieldsMessage> {
    return jobViewToFields(await this.reminders.getAsJob(owner, ref(actor, name)));
  }

  async delete(owner: Caller, actor: ActorRef, name: string): Promise<void> {
    await this.reminders.delete(owner, ref(actor, name));
  }

  async list(owner: Caller, actor: ActorRef): Promise<NamedJobMessage[]> {
    const found = await this.reminders.listAsJobs(owner, reminderPrefix(actor.type, actor.id));
    return mapEncodable(
      found,
      ({ ref: r, job }) => ({
        name: r.name,
        metadata: { appId: owner.appId, namespace: owner.namespace, target: { actor: { type: r.actorType, id: r.actorId } } },
        job: jobViewToFields(job),
      }),
      this.logger,
    );
  }

  async deleteByActor(owner: Caller, actor: ActorRef, idPrefixMatch: boolean): Promise<void> {
    await this.reminders.deleteByPrefix(owner, reminderPrefix(actor.type, actor.id, { idIsPrefix: idPrefixMatch }));
  }

  async deleteByNamePrefix(owner: Caller, actor: ActorRef, namePrefix: string): Promise<void> {
    if (actor.id !== '') {
      await this.reminders.deleteByPrefix(owner, reminderPrefix(actor.type, actor.id, { namePrefix }));
      return;
    }
    // No id: the type's reminders whose names start with namePrefix, across its actors. The name
    // is stored after the id, so no key prefix selects them: list the type and filter.
    if (namePrefix === '') {
      await this.reminders.deleteByPrefix(owner, reminderPrefix(actor.type));
      return;
    }
    for (const { ref: r } of await this.reminders.listAsJobs(owner, reminderPrefix(actor.type))) {
      if (r.name.startsWith(namePrefix)) await this.reminders.delete(owner, r);
    }
  }
}

function ref(actor: ActorRef, name: string): { actorType: string; actorId: string; name: string } {
  return { actorType: actor.type, actorId: actor.id, name };
}
