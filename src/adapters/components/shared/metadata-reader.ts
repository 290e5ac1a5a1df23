import { ComponentConfigError } from '../component-config-error.js';
import type { ComponentDescriptor } from '../component-descriptor.js';
import { parseDuration } from './parse-duration.js';

const TRUE = new Set(['true', '1', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['false', '0', 'f', 'no', 'n', 'off']);

/** Defaults shared by every adapter; a component overrides them with metadata. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 5_000;

/**
 * Typed reads of a component's metadata. Every error names the file, the metadata field and
 * what a valid value looks like. A field may have several names (Duetime's and Dapr's, e.g.
 * connectTimeout and dialTimeout): the first one present wins.
 */
export class MetadataReader {
  constructor(readonly descriptor: ComponentDescriptor) {}

  /** `pubsub "orders" (pubsub.redis)`: how adapters name the component in messages. */
  get label(): string {
    const kind = this.descriptor.type.split('.')[0];
    return `${kind === 'bindings' ? 'binding' : kind} "${this.descriptor.name}" (${this.descriptor.type})`;
  }

  fail(field: string, problem: string): never {
    throw new ComponentConfigError([`${this.descriptor.source}: spec.metadata "${field}" ${problem}`]);
  }

  #find(names: string | string[]): { name: string; value: string } | undefined {
    for (const name of Array.isArray(names) ? names : [names]) {
      const value = this.descriptor.metadata[name];
      if (value !== undefined) return { name, value };
    }
    return undefined;
  }

  string(names: string | string[]): string | undefined {
    const found = this.#find(names);
    return found === undefined || found.value.trim() === '' ? undefined : found.value.trim();
  }

  requiredString(names: string | string[], example: string): string {
    const value = this.string(names);
    if (value === undefined) {
      const first = Array.isArray(names) ? names[0] : names;
      throw new ComponentConfigError([
        `${this.descriptor.source}: spec.metadata "${first}" is required for ${this.descriptor.type}; add - name: ${first} with value: ${example}`,
      ]);
    }
    return value;
  }

  boolean(names: string | string[], fallback: boolean): boolean {
    const found = this.#find(names);
    if (found === undefined || found.value.trim() === '') return fallback;
    const text = found.value.trim().toLowerCase();
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    return this.fail(found.name, `is "${found.value}", not a boolean; use "true" or "false"`);
  }

  integer(names: string | string[], fallback: number, range: { min: number; max: number }): number {
    const found = this.#find(names);
    if (found === undefined || found.value.trim() === '') return fallback;
    const n = Number(found.value.trim());
    if (!Number.isInteger(n) || n < range.min || n > range.max) {
      return this.fail(found.name, `is "${found.value}"; use a whole number from ${range.min} to ${range.max}`);
    }
    return n;
  }

  /** Milliseconds; must be positive. */
  duration(names: string | string[], fallbackMs: number): number {
    const found = this.#find(names);
    if (found === undefined || found.value.trim() === '') return fallbackMs;
    const ms = parseDuration(found.value);
    if (ms === undefined || ms <= 0) {
      return this.fail(found.name, `is "${found.value}"; use a duration like "500ms", "5s", "1m" or a number of seconds`);
    }
    return ms;
  }

  oneOf<T extends string>(names: string | string[], allowed: readonly T[], fallback: T): T {
    const found = this.#find(names);
    if (found === undefined || found.value.trim() === '') return fallback;
    const value = found.value.trim() as T;
    if (!allowed.includes(value)) return this.fail(found.name, `is "${found.value}"; use one of ${allowed.join(', ')}`);
    return value;
  }

  /** Rejects a Dapr feature Duetime does not implement, rather than silently ignoring it. */
  unsupportedWhenTrue(name: string, why: string): void {
    if (this.boolean(name, false)) this.fail(name, `"true" is not supported: ${why}`);
  }

  /** The connect and per-operation timeouts every adapter takes. */
  timeouts(aliases: { connect?: string[]; operation?: string[] } = {}): { connectMs: number; operationMs: number } {
    return {
      connectMs: this.duration(['connectTimeout', ...(aliases.connect ?? [])], DEFAULT_CONNECT_TIMEOUT_MS),
      operationMs: this.duration(['operationTimeout', ...(aliases.operation ?? [])], DEFAULT_OPERATION_TIMEOUT_MS),
    };
  }
}
