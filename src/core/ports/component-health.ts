/**
 * How a component (a broker, a state store, an output binding) is doing right now, for
 * `/readyz`. Adapters keep this current from their client's connection events, so a broker
 * that went down shows as unhealthy even before a trigger tries to use it.
 */
export interface ComponentHealth {
  /** True while the component's connection is up and its last operation did not fail on it. */
  healthy(): boolean;
  /** Why the component is (or last was) unhealthy; undefined when it never failed. */
  lastError(): string | undefined;
}
