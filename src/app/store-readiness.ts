// The `store` check of /readyz: a read through the JobStore port (for etcd a quorum read, for
// SQLite the server's own connection) bounded by a timeout, then the store's own write probe
// when it has one (SQLite: can the write lock be taken, is there disk space). A store that fails
// either makes the server not ready; nothing is written.

import type { JobKey } from '../core/model/job.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { ReadinessCheck } from './readiness.js';

export interface StoreReadinessOptions {
  /** A store-specific check that a write could commit now. */
  writeProbe?: () => { ok: boolean; detail?: string };
  /** How long the read may take before the store counts as unavailable, ms. @defaultValue 2000 */
  timeoutMs?: number;
}

export const STORE_READINESS_DEFAULTS = { timeoutMs: 2_000 } as const;

/** No job has it: namespace and app id are never empty for a caller. */
const PROBE_KEY: JobKey = { namespace: '', appId: '', name: 'readiness-probe' };

export function storeReadiness(store: JobStore, options: StoreReadinessOptions = {}): ReadinessCheck {
  const timeoutMs = options.timeoutMs ?? STORE_READINESS_DEFAULTS.timeoutMs;
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const answer = await Promise.race([store.get(PROBE_KEY).then(() => 'read' as const), timeout]);
      if (answer === 'timeout') return { ok: false, detail: `the store did not answer a read within ${timeoutMs} ms` };
    } catch (error) {
      return { ok: false, detail: `the store failed a read: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
    return options.writeProbe?.() ?? { ok: true };
  };
}
