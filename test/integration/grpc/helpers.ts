// Real gRPC clients for integration tests: ones built from Dapr's own .proto files (shipped in
// @dapr/dapr) and ones from ours, a WatchJobs consumer that records what it receives, and
// google.protobuf.Value payloads encoded by protobuf-es (an implementation independent of ours).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { credentials, loadPackageDefinition, Metadata, type Client, type ClientDuplexStream, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS } from '@duetime/sdk/protocol';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DAPR_PROTO_DIR = path.resolve(here, '../../../node_modules/@dapr/dapr/proto');
export const VALUE_URL = 'type.googleapis.com/google.protobuf.Value';

type Namespace = Record<string, unknown>;

function daprService(file: string, service: string): ServiceClientConstructor {
  const definition = loadSync(file, { ...LOADER_OPTIONS, includeDirs: [DAPR_PROTO_DIR] });
  const loaded = loadPackageDefinition(definition) as Namespace;
  const constructor = service.split('.').reduce<unknown>((node, part) => (node as Namespace)[part], loaded);
  return constructor as ServiceClientConstructor;
}

/** dapr.proto.scheduler.v1.Scheduler from Dapr's shipped scheduler.proto. */
export function daprSchedulerClient(port: number): Client {
  const Scheduler = daprService('dapr/proto/scheduler/v1/scheduler.proto', 'dapr.proto.scheduler.v1.Scheduler');
  return new Scheduler(`127.0.0.1:${port}`, credentials.createInsecure());
}

/** dapr.proto.runtime.v1.Dapr from Dapr's shipped dapr.proto (the 3.18 files: Alpha1 jobs methods). */
export function daprRuntimeClient(port: number): Client {
  const Dapr = daprService('dapr/proto/runtime/v1/dapr.proto', 'dapr.proto.runtime.v1.Dapr');
  return new Dapr(`127.0.0.1:${port}`, credentials.createInsecure());
}

/** Promisified unary call by method name, with optional metadata. */
export function unary<T = Record<string, unknown>>(client: Client, method: string, request: object, headers: Record<string, string> = {}): Promise<T> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const fn = (client as unknown as Record<string, (req: object, md: Metadata, cb: (error: ServiceError | null, response: T) => void) => void>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
}

/** Resolves with the ServiceError a call fails with (fails the test if it succeeds). */
export async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded; an error was expected');
}

/** A JSON value as Any{google.protobuf.Value}, encoded by protobuf-es. */
export function valueAny(json: JsonValue): { type_url: string; value: Buffer } {
  return { type_url: VALUE_URL, value: Buffer.from(toBinary(ValueSchema, fromJson(ValueSchema, json))) };
}

/** Decodes an Any{google.protobuf.Value} with protobuf-es. */
export function readValueAny(any: { type_url: string; value: Uint8Array } | null | undefined): JsonValue | undefined {
  if (!any) return undefined;
  if (any.type_url !== VALUE_URL) throw new Error(`not a Value: ${any.type_url}`);
  return toJson(ValueSchema, fromBinary(ValueSchema, any.value)) as JsonValue;
}

export interface ReceivedTrigger {
  name: string;
  id: string;
  data: { type_url: string; value: Buffer } | null;
  metadata: { appId: string; namespace: string; target?: { job?: object | null; actor?: { type: string; id: string } | null } | null };
  /** Date.now() on arrival. */
  receivedAt: number;
}

/** Rejects when the promise does not settle in time, naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type Answer = 'SUCCESS' | 'FAILED' | 'none';

/**
 * A WatchJobs consumer on any Scheduler client: sends `initial`, records each trigger and answers
 * it as `answer` says ('none' leaves it in flight).
 */
export class WatchConsumer {
  readonly received: ReceivedTrigger[] = [];
  answer: (trigger: ReceivedTrigger) => Answer = () => 'SUCCESS';
  readonly call: ClientDuplexStream<object, Omit<ReceivedTrigger, 'receivedAt'>>;
  private waiters: Array<() => void> = [];
  private accepted: Promise<void>;
  /** The status the stream ended with, once it has. */
  readonly ended: Promise<ServiceError | undefined>;

  constructor(client: Client, initial: { appId: string; namespace?: string; actorTypes?: string[]; acceptJobTypes?: string[] }, headers: Record<string, string> = {}) {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    this.call = (client as unknown as { WatchJobs(md: Metadata): WatchConsumer['call'] }).WatchJobs(metadata);
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: ServiceError) => resolve(error));
      this.call.on('end', () => resolve(undefined));
    });
    this.accepted = new Promise((resolve, reject) => {
      this.call.on('metadata', (md: Metadata) => {
        if (md.get('duetime-watch').length > 0) resolve();
      });
      void this.ended.then((error) => reject(error ?? new Error('stream ended before it was accepted')));
    });
    this.accepted.catch(() => undefined);
    this.call.on('data', (message: Omit<ReceivedTrigger, 'receivedAt'>) => {
      const trigger = { ...message, receivedAt: Date.now() };
      this.received.push(trigger);
      const answer = this.answer(trigger);
      if (answer !== 'none') this.respond(trigger.id, answer);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
    this.call.write({ initial: { namespace: '', actorTypes: [], acceptJobTypes: [], ...initial } });
  }

  /** Resolves once the server has registered the consumer. */
  connected(): Promise<void> {
    return this.accepted;
  }

  respond(id: string, status: 'SUCCESS' | 'FAILED'): void {
    this.call.write({ result: { id, status } });
  }

  forJob(name: string): ReceivedTrigger[] {
    return this.received.filter((r) => r.name === name);
  }

  waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.received.map((r) => r.name).join(', ') || 'nothing'}`)), timeoutMs);
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }

  /** Breaks the stream from the client side (RST_STREAM), answering nothing more. */
  async kill(): Promise<void> {
    this.call.cancel();
    await this.ended;
  }
}
