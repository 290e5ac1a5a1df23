// Which deliverer takes each target type: the component targets (here), service invocation and
// cron input bindings (HTTP to registered apps, given by main.ts from adapters/deliver-invoke).

import type { Deliverer } from '../../core/ports/deliverer.js';
import type { DeliveryRouter } from '../delivery-router.js';
import type { ComponentDirectory } from './component-directory.js';
import { BindingDeliverer, PubsubDeliverer, StateDeliverer } from './component-deliverers.js';

export interface AppCallDeliverers {
  invoke: Deliverer;
  inputBinding: Deliverer;
}

/** deadlineMs: --delivery-timeout, the most one component call may take as an attempt. */
export function routeTargets(router: DeliveryRouter, components: ComponentDirectory, apps: AppCallDeliverers, deadlineMs: number): void {
  router.route('pubsub', new PubsubDeliverer(components, deadlineMs));
  router.route('state', new StateDeliverer(components, deadlineMs));
  router.route('binding', new BindingDeliverer(components, deadlineMs));
  router.route('invoke', apps.invoke);
  router.route('inputBinding', apps.inputBinding);
}
