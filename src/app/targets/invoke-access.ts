// Who may invoke whom (invoke targets): the --access-control file's Dapr-style policies, and
// without one a default that depends on whether callers are told apart. With API tokens an app
// may invoke only itself (in its own namespace); without tokens every caller may act as any
// app anyway, so any app may invoke any other (single-tenant development).
//
// Checked twice: when a job is written (403, nothing stored) and at every delivery, since the
// policy may have changed since the job was written (a restart with another file, or a reload of
// the file on SIGHUP: usePolicy).

import { DuetimeError } from '../../core/errors.js';
import type { AccessControl, AccessDecision, InvokeCall } from '../../core/model/access-control.js';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { Deliverer } from '../../core/ports/deliverer.js';

export interface InvokeAccessOptions {
  /** The --access-control file's policies. @defaultValue none: the default rule alone */
  policy?: AccessControl;
  /** True when API tokens are configured: cross-app invocation then needs a policy. */
  tokensOn: boolean;
  /** How users set the file, for messages. @defaultValue "--access-control" */
  setting?: string;
}

export class InvokeAccess {
  private readonly setting: string;
  private policy: AccessControl | undefined;

  constructor(private readonly options: InvokeAccessOptions) {
    this.setting = options.setting ?? '--access-control';
    this.policy = options.policy;
  }

  /** Replaces the file's policies (a reload): every check from now on, at write and at delivery, uses them. */
  usePolicy(policy: AccessControl): void {
    this.policy = policy;
  }

  decide(call: InvokeCall): AccessDecision {
    const decided = this.policy?.decide(call);
    if (decided) return decided;
    if (!this.options.tokensOn) return { allowed: true, reason: 'no API tokens are configured, so any app may invoke any other' };
    const self = call.callerAppId === call.targetAppId && call.callerNamespace === call.targetNamespace;
    if (self) return { allowed: true, reason: 'an app may invoke itself' };
    return { allowed: false, reason: `API tokens are configured and no access-control policy protects app "${call.targetAppId}" in namespace "${call.targetNamespace}", so an app may invoke only itself` };
  }

  /** The refusal of a call as a sentence naming caller, target, verb and path; undefined when allowed. */
  refusal(call: InvokeCall): string | undefined {
    const decision = this.decide(call);
    if (decision.allowed) return undefined;
    return `app "${call.callerAppId}" (namespace "${call.callerNamespace}") may not invoke app "${call.targetAppId}" (namespace "${call.targetNamespace}"): ${call.verb} ${call.path} is denied (${decision.reason}); allow it in the ${this.setting} file`;
  }

  /** Throws a 403 / PERMISSION_DENIED naming the call when it is denied. */
  check(call: InvokeCall, field = 'target.invoke.appId'): void {
    const refusal = this.refusal(call);
    if (refusal !== undefined) throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', refusal, field);
  }

  /** The invoke deliverer behind the same rule: a denied trigger is a failed attempt, nothing is sent. */
  guard(deliverer: Deliverer): Deliverer {
    return {
      deliver: (trigger: Trigger): Promise<Outcome> => {
        const call = invokeCallOf(trigger);
        const refusal = call && this.refusal(call);
        if (refusal) return Promise.resolve({ kind: 'failed', detail: refusal });
        return deliverer.deliver(trigger);
      },
    };
  }
}

/** The call an invoke target makes: always to an app of the job's own namespace. */
export function invokeCallOf(trigger: Pick<Trigger, 'key' | 'target'>): InvokeCall | undefined {
  const { target, key } = trigger;
  if (target.kind !== 'invoke') return undefined;
  return { callerNamespace: key.namespace, callerAppId: key.appId, targetNamespace: key.namespace, targetAppId: target.appId, verb: target.verb, path: `/${target.method}` };
}
