// Which app hosts an actor type: the types an app declared when it registered, plus those it lists
// in `entities` of its `GET {appUrl}/dapr/config` (as a Dapr sidecar asks its app). Config answers
// are cached per app; a type nobody hosts triggers a refresh (at most once per missRefreshMs per
// app), and an answer older than configTtlMs is fetched again before it is used.

import type { Agent } from 'undici';
import type { AppDirectory, AppEndpoint } from '../../core/ports/app-directory.js';

/** The app directory, with a listing (AppRegistry is one). */
export interface ActorAppDirectory extends AppDirectory {
  list(): Array<{ namespace: string; appId: string } & AppEndpoint>;
}

export interface HostedApp {
  appId: string;
  endpoint: AppEndpoint;
}

export interface ActorHostsOptions {
  /** Whole-request timeout of one GET /dapr/config, ms. */
  configTimeoutMs: number;
  /** An app's config answer is fetched again once older than this, ms. */
  configTtlMs: number;
  /** When no app hosts a type, configs older than this are fetched again, ms. */
  missRefreshMs: number;
  now: () => number;
}

interface CachedConfig {
  url: string;
  types: ReadonlySet<string>;
  fetchedAt: number;
  pending?: Promise<void>;
}

export class ActorHosts {
  private readonly configs = new Map<string, CachedConfig>();

  constructor(
    private readonly apps: ActorAppDirectory,
    private readonly agent: Agent,
    private readonly options: ActorHostsOptions,
  ) {}

  /**
   * The app that gets calls for this actor, or undefined when no app in the namespace hosts its
   * type. The preferred app (the reminder's owner) wins when it hosts the type; otherwise the
   * actor id picks one host consistently, so one actor's reminders go to one place.
   */
  async pick(namespace: string, actorType: string, actorId: string, preferredAppId: string): Promise<HostedApp | undefined> {
    await this.refresh(namespace, this.options.configTtlMs);
    let hosts = this.hostsNow(namespace, actorType);
    if (hosts.length === 0) {
      await this.refresh(namespace, this.options.missRefreshMs);
      hosts = this.hostsNow(namespace, actorType);
    }
    if (hosts.length === 0) return undefined;
    return hosts.find((h) => h.appId === preferredAppId) ?? hosts[hash(actorId) % hosts.length];
  }

  /** Apps of the namespace hosting the type by declaration or by their last config answer, by app id. */
  hostsNow(namespace: string, actorType: string): HostedApp[] {
    const hosts: HostedApp[] = [];
    for (const app of this.apps.list()) {
      if (app.namespace !== namespace) continue;
      const cached = this.configs.get(appKey(namespace, app.appId));
      const discovered = cached !== undefined && cached.url === app.url && cached.types.has(actorType);
      if (app.actorTypes.includes(actorType) || discovered) hosts.push({ appId: app.appId, endpoint: app });
    }
    return hosts.sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  }

  /** Fetches the config of every app in the namespace whose answer is older than maxAgeMs. */
  async refresh(namespace: string, maxAgeMs: number): Promise<void> {
    const now = this.options.now();
    const waits: Array<Promise<void>> = [];
    for (const app of this.apps.list()) {
      if (app.namespace !== namespace) continue;
      const key = appKey(namespace, app.appId);
      const cached = this.configs.get(key);
      if (cached?.pending && cached.url === app.url) {
        waits.push(cached.pending);
        continue;
      }
      if (cached && cached.url === app.url && now - cached.fetchedAt < maxAgeMs) continue;
      const entry: CachedConfig = { url: app.url, types: cached?.url === app.url ? cached.types : new Set(), fetchedAt: cached?.fetchedAt ?? -Infinity };
      entry.pending = this.fetchTypes(app).then((types) => {
        entry.types = types;
        entry.fetchedAt = this.options.now();
        delete entry.pending;
      });
      this.configs.set(key, entry);
      waits.push(entry.pending);
    }
    await Promise.all(waits);
  }

  /** The app's `entities`; an app that does not answer, or answers without them, hosts none. */
  private async fetchTypes(app: AppEndpoint): Promise<Set<string>> {
    try {
      const url = new URL(`${app.url}/dapr/config`);
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname,
        method: 'GET',
        headers: app.token ? { 'dapr-api-token': app.token } : {},
        signal: AbortSignal.timeout(this.options.configTimeoutMs),
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        return new Set();
      }
      const config = (await response.body.json()) as { entities?: unknown };
      const entities = Array.isArray(config?.entities) ? config.entities : [];
      return new Set(entities.filter((e): e is string => typeof e === 'string'));
    } catch {
      return new Set();
    }
  }
}

function appKey(namespace: string, appId: string): string {
  return `${namespace}\u0000${appId}`;
}

// FNV-1a: a stable spread of actor ids over hosts, the same on every replica.
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
