// Schedule-time validation of a job's target against what this server can deliver to: the
// components it loaded and the apps registered now. A job that could never be delivered is a
// 400 when it is scheduled, not a string of failed attempts later.

import { InvalidRequestError } from '../../core/errors.js';
import type { JobKey, Target } from '../../core/model/job.js';
import { unhandledTarget } from '../../core/model/target.js';
import { SCHEDULE_CODE } from '../../core/model/target-specs.js';
import type { TargetCheck } from '../jobs-service.js';
import { PAYLOAD_KEY_PREFIX } from '../payloads/payload-key.js';
import type { ComponentDirectory } from './component-directory.js';
import { invokeCallOf, type InvokeAccess } from './invoke-access.js';

/** The registered apps, as far as invoke targets need them. */
export interface RegisteredApps {
  endpoint(namespace: string, appId: string): unknown;
  list(): Array<{ namespace: string; appId: string }>;
}

/** Operations each output binding type supports (Dapr's names). */
const BINDING_OPERATIONS: Record<string, readonly string[]> = {
  'bindings.http': ['create', 'post', 'get', 'put', 'patch', 'delete', 'head', 'options'],
};

export interface TargetCheckDeps {
  components: ComponentDirectory;
  apps: RegisteredApps;
  /** Checks target types this module does not know (actor reminders); by default they are refused. */
  fallback?: TargetCheck;
  /** Who may invoke whom (--access-control); without it every invoke is allowed. */
  invokeAccess?: InvokeAccess;
}

export function createTargetCheck(deps: TargetCheckDeps): TargetCheck {
  return (target: Target, key: JobKey): void => {
    switch (target.kind) {
      case 'app':
        return;
      case 'pubsub':
        deps.components.pubsub(target.name, key.appId, { code: SCHEDULE_CODE, field: 'target.pubsub.name' });
        return;
      case 'state':
        deps.components.stateStore(target.store, key.appId, { code: SCHEDULE_CODE, field: 'target.state.store' });
        if (target.store === deps.components.jobStateStoreName && target.key.startsWith(PAYLOAD_KEY_PREFIX)) {
          throw new InvalidRequestError(
            SCHEDULE_CODE,
            `target.state.key "${target.key}" starts with "${PAYLOAD_KEY_PREFIX}", where "${target.store}" keeps jobs' payloads; choose another key`,
            'target.state.key',
          );
        }
        return;
      case 'binding': {
        const binding = deps.components.binding(target.name, key.appId, { code: SCHEDULE_CODE, field: 'target.binding.name' });
        // The component's own rules on request metadata (bindings.http: path below its base, no hop-by-hop or credential headers).
        const refused = binding.refusal?.({ operation: target.operation, metadata: target.metadata ?? {} });
        if (refused) throw new InvalidRequestError(SCHEDULE_CODE, `target.binding.metadata.${refused.key} ${refused.problem}`, `target.binding.metadata.${refused.key}`);
        const operations = BINDING_OPERATIONS[deps.components.typeOf(target.name) ?? ''];
        if (operations && !operations.includes(target.operation)) {
          throw new InvalidRequestError(
            SCHEDULE_CODE,
            `target.binding.operation "${target.operation}" is not an operation of ${deps.components.typeOf(target.name)}; use one of ${operations.join(', ')}`,
            'target.binding.operation',
          );
        }
        return;
      }
      case 'invoke': {
        // Permission first (403): a refused caller learns nothing about which apps are registered.
        const call = invokeCallOf({ key, target });
        if (call) deps.invokeAccess?.check(call);
        if (deps.apps.endpoint(key.namespace, target.appId) === undefined) {
          const known = deps.apps
            .list()
            .filter((a) => a.namespace === key.namespace)
            .map((a) => a.appId)
            .sort();
          const list = known.length > 0 ? `registered apps: ${known.join(', ')}` : 'no apps are registered';
          throw new InvalidRequestError(
            SCHEDULE_CODE,
            `target.invoke.appId "${target.appId}" is not a registered app in namespace "${key.namespace}"; ${list} (register it with PUT /v1.0/apps/{appId} or the config file)`,
            'target.invoke.appId',
          );
        }
        return;
      }
      case 'actor':
      case 'inputBinding':
        // Written by the reminder APIs and the cron bindings, not by job requests: left to the fallback.
        if (deps.fallback) return deps.fallback(target, key);
        throw new InvalidRequestError(SCHEDULE_CODE, `target "${target.kind}" is not supported by this server`, `target.${target.kind}`);
      case 'unreadable':
        // Only a target decoded from an old record is unreadable; a request's spec is refused as it is parsed.
        throw new InvalidRequestError(SCHEDULE_CODE, target.problem, target.field ?? `target.${target.type}`);
      default:
        return unhandledTarget(target);
    }
  };
}
