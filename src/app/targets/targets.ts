// Everything the extension targets add to a node (SPEC 5), assembled from the component ports
// and the app-call deliverers main.ts picks: routing of target types, schedule-time checks, the
// jobStateStore, /readyz checks, the publish API and the cron input bindings.

import type { Clock } from '../../core/clock.js';
import type { EngineEvents, TypedEmitter } from '../../core/events.js';
import type { Deliverer } from '../../core/ports/deliverer.js';
import type { DeliveryRouter } from '../delivery-router.js';
import type { TargetCheck } from '../jobs-service.js';
import { discardFinishedPayloads } from '../payloads/finished-payloads.js';
import { JobPayloads, type PayloadWarn } from '../payloads/job-payloads.js';
import { PayloadLoadingDeliverer } from '../payloads/payload-loading-deliverer.js';
import type { Readiness } from '../readiness.js';
import { addComponentReadiness, type ComponentHealthStatus } from './component-readiness.js';
import { ComponentDirectory, type ComponentInfo, type ComponentPorts } from './component-directory.js';
import { syncCronBindingJobs, type CronBindingDeps, type CronBindingSpec } from './cron-binding-jobs.js';
import { PublishService } from './publish-service.js';
import { routeTargets, type AppCallDeliverers } from './route-targets.js';
import { createTargetCheck, type RegisteredApps } from './target-check.js';
import type { InvokeAccess } from './invoke-access.js';

export interface TargetsDeps {
  /** The component registry (structurally): ports by name, cron bindings, health. */
  components: ComponentPorts & { cronBindings: readonly CronBindingSpec[]; health(): ComponentHealthStatus[] };
  /** Each component's type and scopes, from its YAML. */
  info: ReadonlyMap<string, ComponentInfo>;
  apps: RegisteredApps;
  /** HTTP calls to registered apps (adapters/deliver-invoke). */
  appCalls: AppCallDeliverers;
  /** Where best-effort failures (payload removals) are reported. */
  warn: PayloadWarn;
  /** --delivery-timeout: the deadline of one component call (publish, save, binding), ms. */
  deliveryTimeoutMs: number;
  /** Who may invoke whom (--access-control), checked when a job is written and at delivery. @defaultValue none: any */
  invokeAccess?: InvokeAccess;
}

export class Targets {
  readonly directory: ComponentDirectory;
  /**
   * Always present: even with no state store configured, a job stored with a payload reference
   * (by an earlier run) must fail its attempts and its GET rather than go out without its data.
   */
  readonly payloads: JobPayloads;

  constructor(private readonly deps: TargetsDeps) {
    this.directory = new ComponentDirectory(deps.components, deps.info);
    this.payloads = new JobPayloads(deps.components.stateStores, deps.components.jobStateStoreName, deps.warn);
  }

  route(router: DeliveryRouter): void {
    const { invokeAccess, appCalls } = this.deps;
    routeTargets(router, this.directory, invokeAccess ? { ...appCalls, invoke: invokeAccess.guard(appCalls.invoke) } : appCalls, this.deps.deliveryTimeoutMs);
  }

  /** The deliverer the engine gets: reads jobStateStore payloads back, then hands on. */
  wrap(deliverer: Deliverer): Deliverer {
    return new PayloadLoadingDeliverer(deliverer, this.payloads);
  }

  /** Removes the payloads of jobs that finish. */
  watch(events: TypedEmitter<EngineEvents>): void {
    if (this.payloads.hasStores) discardFinishedPayloads(events, this.payloads);
  }

  targetCheck(fallback?: TargetCheck): TargetCheck {
    return createTargetCheck({
      components: this.directory,
      apps: this.deps.apps,
      ...(fallback ? { fallback } : {}),
      ...(this.deps.invokeAccess ? { invokeAccess: this.deps.invokeAccess } : {}),
    });
  }

  addReadiness(readiness: Readiness): void {
    addComponentReadiness(readiness, () => this.deps.components.health());
  }

  publishService(jobs: CronBindingDeps['jobs'], clock: Clock): PublishService {
    return new PublishService(this.directory, jobs, clock);
  }

  /** Schedules the cron input bindings' jobs for the default app; throws CronBindingError naming the file. */
  startCronBindings(deps: CronBindingDeps, owner: { namespace: string; appId: string }): Promise<{ scheduled: string[]; removed: string[] }> {
    return syncCronBindingJobs(deps, owner, this.deps.components.cronBindings);
  }
}
