// What a Dapr component YAML file says, once loaded and checked: the input of the factory.

/** Every component type Duetime can create, by Dapr's type names. */
export const SUPPORTED_COMPONENT_TYPES = [
  'bindings.cron',
  'bindings.http',
  'pubsub.jetstream',
  'pubsub.mqtt3',
  'pubsub.nats',
  'pubsub.rabbitmq',
  'pubsub.redis',
  'state.postgresql',
  'state.redis',
  'state.sqlite',
] as const;

export type ComponentType = (typeof SUPPORTED_COMPONENT_TYPES)[number];

export function isSupportedComponentType(type: string): type is ComponentType {
  return (SUPPORTED_COMPONENT_TYPES as readonly string[]).includes(type);
}

export interface ComponentDescriptor {
  /** metadata.name: how jobs' targets refer to the component; unique across the folder. */
  name: string;
  type: ComponentType;
  /** spec.version, e.g. "v1". */
  version: string;
  /** spec.metadata as name -> value, secretKeyRefs already resolved. */
  metadata: Record<string, string>;
  /** Where it was read from, for messages: `components/redis.yaml` or `... (document 2)`. */
  source: string;
  /** metadata.namespace, when set. */
  namespace?: string;
  /** Dapr's `scopes`: app ids allowed to use the component; empty means all. */
  scopes: string[];
}
