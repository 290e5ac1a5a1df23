// Each component with a connection is one /readyz check, named `component:{name}`: a broker that
// is down makes the node not ready (503) with the component and its last error named, and the
// check passes again as soon as the adapter has reconnected.

import type { Readiness } from '../readiness.js';

export interface ComponentHealthStatus {
  name: string;
  type: string;
  healthy: boolean;
  lastError?: string;
}

export function addComponentReadiness(readiness: Readiness, health: () => ComponentHealthStatus[]): void {
  for (const { name } of health()) {
    readiness.add(`component:${name}`, () => {
      const status = health().find((s) => s.name === name);
      if (!status) return { ok: false, detail: 'closed' };
      if (status.healthy) return { ok: true, detail: status.type };
      return { ok: false, detail: `${status.type} unavailable${status.lastError ? `: ${status.lastError}` : ''}` };
    });
  }
}
