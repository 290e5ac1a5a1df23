import { DuetimeError, UnavailableError } from '../core/errors.js';
import type { AppDirectory, AppEndpoint } from '../core/ports/app-directory.js';
import type { AppRegistration, AppRegistrationChange, AppRegistrations } from '../core/ports/app-registrations.js';
import { appKeyString, parseAppKeyString } from '../core/model/job-key.js';

/** An app this replica is configured with (--app-url, the config file). */
export interface ConfiguredApp {
  namespace: string;
  appId: string;
  endpoint: AppEndpoint;
}

export interface AppRegistryOptions {
  /** Told of a listener that threw; the registry carries on. */
  warn?(message: string, context: Record<string, unknown>): void;
  /**
   * Asked before a registration through the API is stored; throws (a DuetimeError, answered as
   * such) to refuse it, and nothing is stored. main.ts refuses an app token that is an API token
   * (registered-app-tokens.ts).
   */
  refuseRegistration?(namespace: string, appId: string, endpoint: AppEndpoint): void;
}

/**
 * The apps Duetime delivers to over HTTP. Registrations are cluster state, kept in the store
 * (AppRegistrations): loaded at start, written through on every change, and followed, so a
 * registration made on another replica (or before a restart) applies here too. Delivery reads
 * the in-memory map only, synchronously.
 *
 * Which endpoint an app has on this replica:
 * - a registration through the API (PUT /v1.0/apps/{appId}), made on any replica, applies on
 *   every replica; so does a removal (DELETE);
 * - this replica's own configuration (--app-url, the config file) is written to the store at
 *   start and stays what this replica uses for those apps while only other replicas' start-up
 *   configurations differ from it (replicas may be given different URLs for one app, each its
 *   own instance); an API registration or removal of the app replaces it until the next start.
 *
 * Every change that gives an app an endpoint calls the onRegistered listeners, so the app's
 * staged triggers go out wherever they are held.
 *
 *   new --start--> following --close--> closed
 */
export class AppRegistry implements AppDirectory {
  private apps = new Map<string, AppEndpoint>();
  /** This replica's own configuration, by key; cleared per app by an API change. */
  private readonly configured = new Map<string, AppEndpoint>();
  /** The store revision applied last per app, so an older or repeated change is ignored. */
  private readonly applied = new Map<string, number>();
  private listeners: Array<(namespace: string, appId: string) => void> = [];
  /** Registrations through the API being stored: their tokens count in appTokens() already. */
  private readonly pending = new Set<{ namespace: string; appId: string; token: string }>();
  private started = false;

  constructor(
    private readonly store: AppRegistrations,
    private readonly options: AppRegistryOptions = {},
  ) {}

  /**
   * Loads the stored registrations, follows other replicas' changes, and writes this replica's
   * configured apps (those the store does not already hold as given). Store errors reject.
   */
  async start(configured: ConfiguredApp[] = []): Promise<void> {
    if (this.started) throw new Error('the app registry is already started');
    this.started = true;
    const stored = await this.store.follow((change) => this.apply(change));
    for (const r of stored) this.apply({ kind: 'put', registration: r, revision: r.revision });
    for (const app of configured) {
      const { namespace, appId } = app;
      const k = key(namespace, appId);
      const endpoint = normalise(app.endpoint);
      this.configured.set(k, endpoint);
      const current = stored.find((r) => r.namespace === namespace && r.appId === appId);
      if (current?.origin === 'config' && sameEndpoint(normalise(current.endpoint), endpoint)) {
        this.set(namespace, appId, endpoint);
        continue;
      }
      const revision = await this.write(() => this.store.put({ namespace, appId, endpoint, origin: 'config' }));
      // The store may have reported the write already (and applied it, pinned as it is now).
      if (this.advance(k, revision)) this.set(namespace, appId, endpoint);
    }
  }

  endpoint(namespace: string, appId: string): AppEndpoint | undefined {
    return this.apps.get(key(namespace, appId));
  }

  /**
   * Registers (or moves) an app on every replica; resolves once stored durably. A store failure is
   * an UnavailableError; a registration refused by `refuseRegistration` throws its error.
   */
  async register(namespace: string, appId: string, endpoint: AppEndpoint): Promise<void> {
    const registration: AppRegistration = { namespace, appId, endpoint: normalise(endpoint), origin: 'api' };
    this.options.refuseRegistration?.(namespace, appId, registration.endpoint);
    // From the check until it is applied the token is in appTokens(): a SIGHUP reload during the
    // store write must see it, or it could make it an API token after the check let it through.
    const token = registration.endpoint.token;
    const pending = token ? { namespace, appId, token } : undefined;
    if (pending) this.pending.add(pending);
    try {
      const revision = await this.write(() => this.store.put(registration));
      this.apply({ kind: 'put', registration, revision });
    } finally {
      if (pending) this.pending.delete(pending);
    }
  }

  /** Removes an app's endpoint on every replica; resolves once stored durably. */
  async unregister(namespace: string, appId: string): Promise<void> {
    const revision = await this.write(() => this.store.delete(namespace, appId));
    this.apply({ kind: 'delete', namespace, appId, revision });
  }

  list(): Array<{ namespace: string; appId: string } & AppEndpoint> {
    return [...this.apps.entries()].map(([k, endpoint]) => ({ ...split(k), ...endpoint }));
  }

  /**
   * The token each app is sent with its deliveries, as this replica holds the registrations now
   * (every replica's registrations through the API, followed from the store, and the configured
   * apps), with those being stored; for the reload's check that no API token is one of them.
   */
  appTokens(): Array<{ namespace: string; appId: string; token: string }> {
    const held = this.list().flatMap(({ namespace, appId, token }) => (token ? [{ namespace, appId, token }] : []));
    return [...held, ...[...this.pending].map((p) => ({ ...p }))];
  }

  onRegistered(listener: (namespace: string, appId: string) => void): void {
    this.listeners.push(listener);
  }

  /** Stops following the store's changes. */
  close(): Promise<void> {
    return this.store.close();
  }

  /** Applies one stored change (ours, echoed by the store, or another replica's) unless already applied. */
  private apply(change: AppRegistrationChange): void {
    const { namespace, appId } = change.kind === 'put' ? change.registration : change;
    const k = key(namespace, appId);
    if (!this.advance(k, change.revision)) return;
    if (change.kind === 'delete') {
      this.configured.delete(k);
      this.apps.delete(k);
      return;
    }
    const { endpoint, origin } = change.registration;
    if (origin === 'api') this.configured.delete(k);
    this.set(namespace, appId, this.configured.get(k) ?? normalise(endpoint));
  }

  /** Records `revision` as applied for the app; false when it (or a later one) already was. */
  private advance(k: string, revision: number): boolean {
    const last = this.applied.get(k);
    if (last !== undefined && revision <= last) return false;
    this.applied.set(k, revision);
    return true;
  }

  private set(namespace: string, appId: string, endpoint: AppEndpoint): void {
    this.apps.set(key(namespace, appId), endpoint);
    for (const listener of this.listeners) {
      try {
        listener(namespace, appId);
      } catch (error) {
        this.options.warn?.('an app registration listener failed', { err: error, namespace, appId });
      }
    }
  }

  private async write<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DuetimeError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw Object.assign(new UnavailableError('ERR_STORE_UNAVAILABLE', `the app registration could not be stored (${reason}); retry shortly`), { cause: error });
    }
  }
}

function normalise(endpoint: AppEndpoint): AppEndpoint {
  return { ...endpoint, url: endpoint.url.replace(/\/+$/, ''), actorTypes: [...endpoint.actorTypes] };
}

function sameEndpoint(a: AppEndpoint, b: AppEndpoint): boolean {
  return a.url === b.url && a.token === b.token && a.actorTypes.length === b.actorTypes.length && a.actorTypes.every((t, i) => t === b.actorTypes[i]);
}

const key = appKeyString;
const split = parseAppKeyString;
