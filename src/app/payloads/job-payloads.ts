// jobStateStore (SPEC 5): when a state store component has metadata jobStateStore "true", a
// job's payload lives there and the scheduler's store keeps only a reference (DataRef). The
// payload is saved before the job is stored, read back on GET and at each delivery, and removed
// (best effort) when the job is deleted, overwritten or finished.

import { UnavailableError } from '../../core/errors.js';
import type { DataRef, JobDefinition, RawPayload } from '../../core/model/job.js';
import type { StateStore } from '../../core/ports/state-store.js';
import { payloadKey } from './payload-key.js';

/** Where failures of best-effort removals are reported (main.ts: the logger). */
export type PayloadWarn = (message: string, context: { store: string; key: string; error: unknown }) => void;

export interface LoadedPayload {
  data?: unknown;
  rawData?: RawPayload;
}

export class JobPayloads {
  constructor(
    private readonly stores: ReadonlyMap<string, StateStore>,
    /** The state store that takes new payloads; undefined: payloads stay in the job definition. */
    readonly storeName: string | undefined,
    private readonly warn: PayloadWarn = () => undefined,
  ) {}

  /** False when no state store is configured: no payload can be saved or removed. */
  get hasStores(): boolean {
    return this.stores.size > 0;
  }

  /**
   * The definition to store: unchanged without a jobStateStore or a payload; otherwise the
   * payload is saved under payloadKey() first and the definition keeps only the reference.
   * Throws UnavailableError (503) when the state store cannot save it.
   */
  async externalize(def: JobDefinition, code: string): Promise<JobDefinition> {
    const name = this.storeName;
    if (name === undefined || (def.data === undefined && def.rawData === undefined)) return def;
    const store = this.stores.get(name);
    if (!store) return def;
    const key = payloadKey(def.key, def.uid);
    const raw = def.rawData !== undefined;
    try {
      await store.save(key, raw ? def.rawData : def.data);
    } catch (error) {
      throw new UnavailableError(code, `state store "${name}" (the jobStateStore) could not save the job's data: ${message(error)}; the job was not stored`);
    }
    const { data: _data, rawData: _rawData, ...rest } = def;
    return { ...rest, dataRef: { store: name, key, ...(raw ? { raw: true } : {}) } };
  }

  /** Reads a payload back. Throws an Error naming the store and the key when it cannot. */
  async load(ref: DataRef): Promise<LoadedPayload> {
    const store = this.stores.get(ref.store);
    if (!store) {
      throw new Error(`state store "${ref.store}", which holds this job's data (key ${ref.key}), is not configured; restore its component file`);
    }
    let value: unknown;
    try {
      value = await store.get(ref.key);
    } catch (error) {
      throw new Error(`state store "${ref.store}" could not read the job's data (key ${ref.key}): ${message(error)}`);
    }
    if (value === undefined) throw new Error(`the job's data is missing from state store "${ref.store}" (key ${ref.key})`);
    if (ref.raw) {
      if (!isRawPayload(value)) throw new Error(`state store "${ref.store}" holds no gRPC payload under key ${ref.key}`);
      return { rawData: { typeUrl: value.typeUrl, value: value.value } };
    }
    return { data: value };
  }

  /** The definition with its payload back in place of the reference (for GET and list). */
  async inline(def: JobDefinition, code: string): Promise<JobDefinition> {
    if (!def.dataRef) return def;
    let payload: LoadedPayload;
    try {
      payload = await this.load(def.dataRef);
    } catch (error) {
      throw new UnavailableError(code, message(error));
    }
    const { dataRef: _ref, ...rest } = def;
    return { ...rest, ...payload };
  }

  /** Removes a payload, best effort: a failure is reported through warn, never thrown. */
  async discard(ref: DataRef | undefined, why: string): Promise<void> {
    if (!ref) return;
    const store = this.stores.get(ref.store);
    if (!store) {
      this.warn(`cannot remove the payload of a ${why} job: its state store is not configured`, { store: ref.store, key: ref.key, error: undefined });
      return;
    }
    try {
      await store.delete(ref.key);
    } catch (error) {
      this.warn(`could not remove the payload of a ${why} job; delete the key by hand`, { store: ref.store, key: ref.key, error });
    }
  }
}

function isRawPayload(value: unknown): value is RawPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.typeUrl === 'string' && typeof v.value === 'string';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
