import type { AppDirectory, AppEndpoint } from '../core/ports/app-directory.js';

/**
 * The apps Duetime delivers to over HTTP. Registration comes from --app-url (the default app),
 * a config file, or PUT /v1.0/apps/{appId}; each registration calls the listeners so staged
 * triggers for that app go out.
 */
export class AppRegistry implements AppDirectory {
  private apps = new Map<string, AppEndpoint>();
  private listeners: Array<(namespace: string, appId: string) => void> = [];

  endpoint(namespace: string, appId: string): AppEndpoint | undefined {
    return this.apps.get(key(namespace, appId));
  }

  register(namespace: string, appId: string, endpoint: AppEndpoint): void {
    this.apps.set(key(namespace, appId), { ...endpoint, url: endpoint.url.replace(/\/+$/, '') });
    for (const listener of this.listeners) listener(namespace, appId);
  }

  unregister(namespace: string, appId: string): boolean {
    return this.apps.delete(key(namespace, appId));
  }

  list(): Array<{ namespace: string; appId: string } & AppEndpoint> {
    return [...this.apps.entries()].map(([k, endpoint]) => {
      const [namespace = '', appId = ''] = k.split('\u0000');
      return { namespace, appId, ...endpoint };
    });
  }

  onRegistered(listener: (namespace: string, appId: string) => void): void {
    this.listeners.push(listener);
  }
}

function key(namespace: string, appId: string): string {
  return `${namespace}\u0000${appId}`;
}
