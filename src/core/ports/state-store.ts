import type { ComponentHealth } from './component-health.js';

/**
 * A key/value state store component. Values are JSON values; get() returns exactly what save()
 * was given (after a JSON round trip) or undefined when the key is absent. Every method rejects
 * with an Error within the component's operation timeout when the store cannot answer.
 */
export interface StateStore extends ComponentHealth {
  save(key: string, value: unknown): Promise<void>;
  get(key: string): Promise<unknown | undefined>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
