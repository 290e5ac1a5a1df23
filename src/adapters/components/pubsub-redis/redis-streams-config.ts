// Read from the component's metadata at start, apart from the adapter: create-components.ts checks
// every component with these readers and loads the adapter, and its client library, only for a
// component that is configured (a server without one does not load ioredis).
import type { MetadataReader } from '../shared/metadata-reader.js';
import { readRedisConfig, type RedisConfig } from '../shared/redis-config.js';

export interface RedisStreamsConfig extends RedisConfig {
  /** XADD MAXLEN ~ n: trims the stream to about n entries; 0 = no trimming. */
  maxLenApprox: number;
}

export function readRedisStreamsConfig(reader: MetadataReader): RedisStreamsConfig {
  return {
    ...readRedisConfig(reader),
    maxLenApprox: reader.integer('maxLenApprox', 0, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  };
}
