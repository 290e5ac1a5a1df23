// Which apps the dashboard lists. The store has no list of apps, so these are the apps this
// server knows of: those with a registered endpoint, those with staged triggers, and the
// default app (callers that name none). Any other app is opened by its id.

import type { StagedCount } from '../../core/ports/job-store.js';

export interface KnownApp {
  namespace: string;
  appId: string;
  /** Where it receives triggers, when registered. */
  url?: string;
}

export interface KnownAppSources {
  registered(): Array<{ namespace: string; appId: string; url: string }>;
  stagedCounts(): Promise<StagedCount[]>;
  defaultApp: { namespace: string; appId: string };
}

export async function knownApps(sources: KnownAppSources): Promise<KnownApp[]> {
  const apps = new Map<string, KnownApp>();
  const add = (app: KnownApp) => {
    const k = `${app.namespace}\u0000${app.appId}`;
    if (!apps.has(k) || (app.url && !apps.get(k)!.url)) apps.set(k, app);
  };
  add({ ...sources.defaultApp });
  for (const r of sources.registered()) add({ namespace: r.namespace, appId: r.appId, url: r.url });
  for (const s of await sources.stagedCounts()) add({ namespace: s.namespace, appId: s.appId });
  return [...apps.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.appId.localeCompare(b.appId));
}
