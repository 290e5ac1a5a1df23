import type { buildConnector } from 'undici';
import type { OutboundPolicy } from '../../core/model/outbound-policy.js';
import type { ComponentHealth } from '../../core/ports/component-health.js';
import type { OutputBinding } from '../../core/ports/output-binding.js';
import type { Publisher } from '../../core/ports/publisher.js';
import type { StateStore } from '../../core/ports/state-store.js';
import { HttpOutputBinding, readHttpBindingConfig } from './bindings-http/http-output-binding.js';
import { ComponentConfigError } from './component-config-error.js';
import type { ComponentDescriptor, ComponentType } from './component-descriptor.js';
import { readJetStreamConfig } from './pubsub-nats/jetstream-config.js';
import { readMqttConfig } from './pubsub-mqtt3/mqtt-config.js';
import { readRabbitMqConfig } from './pubsub-rabbitmq/rabbitmq-config.js';
import { readRedisStreamsConfig } from './pubsub-redis/redis-streams-config.js';
import { errorMessage } from './shared/error-message.js';
import { MetadataReader } from './shared/metadata-reader.js';
import { readRedisConfig } from './shared/redis-config.js';
import { readPostgresStateConfig } from './state-postgresql/postgresql-config.js';
import { readSqliteStateConfig, SqliteStateStore } from './state-sqlite/sqlite-state-store.js';

// The broker and database clients (ioredis, mqtt, the NATS client, amqplib, pg) are imported
// only when a component of their type is configured: they were about a third of the server's
// import time, and most servers configure none. Their config readers are separate files without
// the client, so every component is still checked before anything loads or connects. undici
// (bindings.http) and better-sqlite3 (state.sqlite) are imported statically: the server loads
// them anyway.

/** A bindings.cron input binding: the engine triggers `POST {appUrl}{route}` on `schedule`. */
export interface CronBinding {
  name: string;
  /** Dapr's cron text as written (e.g. "@every 15s", "0 30 * * * *"); the engine parses it. */
  schedule: string;
  /** Path on the app: Dapr's `route` metadata, or `/{name}` as Dapr does by default. */
  route: string;
  /** Where the component was defined, for messages about its schedule. */
  source: string;
}

export type JobStateStoreFlag = { jobStateStore: boolean };

export interface ComponentStatus {
  name: string;
  type: ComponentType;
  healthy: boolean;
  lastError?: string;
}

export interface ComponentRegistry {
  pubsubs: Map<string, Publisher>;
  stateStores: Map<string, StateStore & JobStateStoreFlag>;
  bindings: Map<string, OutputBinding>;
  cronBindings: CronBinding[];
  /** The state store with metadata jobStateStore "true" (at most one), if any. */
  jobStateStoreName: string | undefined;
  /** Every component with a connection, for /readyz. */
  health(): ComponentStatus[];
  /** Closes every component; never throws. */
  close(): Promise<void>;
}

type Planned =
  | { kind: 'pubsub'; descriptor: ComponentDescriptor; create: () => Promise<Publisher> }
  | { kind: 'state'; descriptor: ComponentDescriptor; jobStateStore: boolean; create: () => Promise<StateStore> }
  | { kind: 'binding'; descriptor: ComponentDescriptor; create: () => Promise<OutputBinding> }
  | { kind: 'cron'; descriptor: ComponentDescriptor; cron: CronBinding };

/**
 * Reads each descriptor's metadata into its adapter's config; throws ComponentConfigError listing
 * every problem before anything connects. Adapters are created by the caller afterwards.
 */
function plan(descriptor: ComponentDescriptor, options: CreateComponentsOptions): Planned {
  const reader = new MetadataReader(descriptor);
  const { name } = descriptor;
  const label = reader.label;
  switch (descriptor.type) {
    case 'pubsub.redis': {
      const config = readRedisStreamsConfig(reader);
      return { kind: 'pubsub', descriptor, create: async () => new (await import('./pubsub-redis/redis-streams-publisher.js')).RedisStreamsPublisher(name, config, label) };
    }
    case 'pubsub.nats':
    case 'pubsub.jetstream': {
      const config = readJetStreamConfig(reader);
      return { kind: 'pubsub', descriptor, create: async () => new (await import('./pubsub-nats/jetstream-publisher.js')).JetStreamPublisher(name, config, label) };
    }
    case 'pubsub.mqtt3': {
      const config = readMqttConfig(reader);
      return { kind: 'pubsub', descriptor, create: async () => new (await import('./pubsub-mqtt3/mqtt-publisher.js')).MqttPublisher(name, config, label) };
    }
    case 'pubsub.rabbitmq': {
      const config = readRabbitMqConfig(reader);
      return { kind: 'pubsub', descriptor, create: async () => new (await import('./pubsub-rabbitmq/rabbitmq-publisher.js')).RabbitMqPublisher(name, config, label) };
    }
    case 'state.redis': {
      const config = readRedisConfig(reader);
      const jobStateStore = reader.boolean('jobStateStore', false);
      return { kind: 'state', descriptor, jobStateStore, create: async () => new (await import('./state-redis/redis-state-store.js')).RedisStateStore(name, config, label) };
    }
    case 'state.postgresql': {
      const config = readPostgresStateConfig(reader);
      const jobStateStore = reader.boolean('jobStateStore', false);
      return { kind: 'state', descriptor, jobStateStore, create: async () => new (await import('./state-postgresql/postgresql-state-store.js')).PostgresStateStore(name, config, label) };
    }
    case 'state.sqlite': {
      const config = readSqliteStateConfig(reader);
      const jobStateStore = reader.boolean('jobStateStore', false);
      return {
        kind: 'state',
        descriptor,
        jobStateStore,
        create: async () => {
          try {
            return new SqliteStateStore(name, config, label);
          } catch (err) {
            throw new ComponentConfigError([
              `${descriptor.source}: spec.metadata "connectionString" names ${config.path}, which cannot be opened: ${errorMessage(err)}`,
            ]);
          }
        },
      };
    }
    case 'bindings.http': {
      const config = readHttpBindingConfig(reader, options.outbound);
      return { kind: 'binding', descriptor, create: async () => new HttpOutputBinding(name, config, label, options.httpConnector) };
    }
    case 'bindings.cron': {
      const schedule = reader.requiredString('schedule', '"@every 15s"');
      const route = reader.string('route') ?? `/${name}`;
      return { kind: 'cron', descriptor, cron: { name, schedule, route: route.startsWith('/') ? route : `/${route}`, source: descriptor.source } };
    }
  }
}

/**
 * Creates the adapters the descriptors describe. Checks everything first (every problem of every
 * component in one ComponentConfigError, plus at most one jobStateStore), then loads each
 * adapter (its client library, on the first component of its type) and creates it.
 * Brokers are connected in the background: a broker that is down at start does not fail this
 * call; it shows in health() and its operations fail until it is back.
 */
export interface CreateComponentsOptions {
  /**
   * Opens bindings.http connections given the connect timeout: main.ts passes one that applies
   * the outbound policy (--allow-outbound). undici's own when absent.
   */
  httpConnector?: (settings: { timeout: number }) => buildConnector.connector;
  /** --allow-outbound: a bindings.http url on an IP address it refuses is a start error. */
  outbound?: OutboundPolicy;
}

export async function createComponents(descriptors: ComponentDescriptor[], options: CreateComponentsOptions = {}): Promise<ComponentRegistry> {
  const planned: Planned[] = [];
  const problems: string[] = [];
  for (const descriptor of descriptors) {
    try {
      planned.push(plan(descriptor, options));
    } catch (err) {
      if (err instanceof ComponentConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  const jobStores = planned.filter((p) => p.kind === 'state' && p.jobStateStore);
  if (jobStores.length > 1) {
    problems.push(
      `${jobStores.map((p) => p.descriptor.source).join(' and ')} all set jobStateStore "true"; only one state store can hold job payloads`,
    );
  }
  if (problems.length > 0) throw new ComponentConfigError(problems);

  const registry = emptyRegistry();
  const statuses: Array<{ descriptor: ComponentDescriptor; component: ComponentHealth & { close(): Promise<void> } }> = [];
  try {
    for (const p of planned) {
      switch (p.kind) {
        case 'pubsub': {
          const publisher = await p.create();
          registry.pubsubs.set(p.descriptor.name, publisher);
          statuses.push({ descriptor: p.descriptor, component: publisher });
          break;
        }
        case 'state': {
          const store = Object.assign(await p.create(), { jobStateStore: p.jobStateStore });
          registry.stateStores.set(p.descriptor.name, store);
          if (p.jobStateStore) registry.jobStateStoreName = p.descriptor.name;
          statuses.push({ descriptor: p.descriptor, component: store });
          break;
        }
        case 'binding': {
          const binding = await p.create();
          registry.bindings.set(p.descriptor.name, binding);
          statuses.push({ descriptor: p.descriptor, component: binding });
          break;
        }
        case 'cron':
          registry.cronBindings.push(p.cron);
          break;
      }
    }
  } catch (err) {
    // Do not leave the ones already created connecting in the background.
    void Promise.all(statuses.map((s) => s.component.close().catch(() => undefined)));
    throw err;
  }

  registry.health = () =>
    statuses.map(({ descriptor, component }) => {
      const lastError = component.lastError();
      return {
        name: descriptor.name,
        type: descriptor.type,
        healthy: component.healthy(),
        ...(lastError !== undefined ? { lastError } : {}),
      };
    });
  registry.close = async () => {
    await Promise.all(statuses.map((s) => s.component.close().catch(() => undefined)));
  };
  return registry;
}

function emptyRegistry(): ComponentRegistry {
  return {
    pubsubs: new Map(),
    stateStores: new Map(),
    bindings: new Map(),
    cronBindings: [],
    jobStateStoreName: undefined,
    health: () => [],
    close: async () => undefined,
  };
}
