/** Where an app receives its triggers over HTTP, as registered (flag, config file or API). */
export interface AppEndpoint {
  /** Base URL, e.g. http://127.0.0.1:8080 (no trailing slash). */
  url: string;
  /** Sent as dapr-api-token on every callback when set. */
  token?: string;
  /** Actor types the app hosts (for reminders). */
  actorTypes: string[];
}

export interface AppDirectory {
  endpoint(namespace: string, appId: string): AppEndpoint | undefined;
}
