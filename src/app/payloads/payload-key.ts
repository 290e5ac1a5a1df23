// Where a job's payload is saved in the jobStateStore. The uid (new on every create and
// overwrite) is part of the key, so an overwrite writes a fresh key and the old payload can be
// removed afterwards without ever touching the new one.

import type { JobKey } from '../../core/model/job.js';

/** Every payload key starts with this; state targets may not write under it (target-check.ts). */
export const PAYLOAD_KEY_PREFIX = 'duetime||';

/** `duetime||{namespace}||{appId}||{name}||{uid}` */
export function payloadKey(key: JobKey, uid: string): string {
  return `${PAYLOAD_KEY_PREFIX}${key.namespace}||${key.appId}||${key.name}||${uid}`;
}
