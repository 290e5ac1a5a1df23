import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ComponentConfigError,
  createComponents,
  loadComponents,
  SUPPORTED_COMPONENT_TYPES,
} from '../../../src/adapters/components/index.js';

// The components folder: real files on disk, loaded as main.ts loads them. The point is the
// messages: each names the file, the field and the fix.

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-load-components-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(file: string, text: string): string {
  writeFileSync(join(dir, file), text);
  return join(dir, file);
}

async function problemsOf(env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadComponents(dir, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ComponentConfigError);
    return (err as ComponentConfigError).problems;
  }
  throw new Error('expected loadComponents to throw');
}

async function problemsCreating(descriptors: Parameters<typeof createComponents>[0]): Promise<string[]> {
  try {
    await (await createComponents(descriptors)).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ComponentConfigError);
    return (err as ComponentConfigError).problems;
  }
  throw new Error('expected createComponents to throw');
}

const redis = (name: string, extra = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: localhost:6379
${extra}`;

describe('loadComponents', () => {
  it('reads every .yaml and .yml file, several documents per file, resolving secretKeyRef from the environment', async () => {
    write(
      'a.yaml',
      `${redis('cache', `    - name: redisPassword
      secretKeyRef:
        name: REDIS_PASSWORD
        key: REDIS_PASSWORD
    - name: redisDB
      value: 3
    - name: jobStateStore
      value: true
scopes: [app1, app2]
`)}---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: ignored
spec: {}
---
`,
    );
    write(
      'b.yml',
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: every-minute
  namespace: prod
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "@every 1m"
`,
    );
    write('notes.txt', 'not a component');
    const descriptors = await loadComponents(dir, { env: { REDIS_PASSWORD: 'pw' } });
    expect(descriptors).toEqual([
      {
        name: 'cache',
        type: 'state.redis',
        version: 'v1',
        metadata: { redisHost: 'localhost:6379', redisPassword: 'pw', redisDB: '3', jobStateStore: 'true' },
        source: `${join(dir, 'a.yaml')} (document 1)`,
        scopes: ['app1', 'app2'],
      },
      {
        name: 'every-minute',
        type: 'bindings.cron',
        version: 'v1',
        metadata: { schedule: '@every 1m' },
        source: join(dir, 'b.yml'),
        namespace: 'prod',
        scopes: [],
      },
    ]);
  });

  it('names the file and the entry that has neither value nor secretKeyRef', async () => {
    const file = write(
      'redis.yaml',
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisPassword
      value: ""
    - name: maxLenApprox
      value: 100
    - name: redisHost
`,
    );
    expect(await problemsOf()).toEqual([
      `${file}: spec.metadata[2] (redisHost) has neither value nor secretKeyRef; add value: or secretKeyRef: {name: ENV_VAR}`,
    ]);
  });

  it('names the supported types when the type is unknown', async () => {
    const file = write('kafka.yaml', redis('k').replace('state.redis', 'pubsub.kafka'));
    const [problem] = await problemsOf();
    expect(problem).toBe(`${file}: spec.type "pubsub.kafka" is not supported; supported types: ${SUPPORTED_COMPONENT_TYPES.join(', ')}`);
    expect(problem).toContain('pubsub.redis, state.postgresql, state.redis, state.sqlite');
  });

  it('reports every problem of every file at once', async () => {
    const bad = write(
      'bad.yaml',
      `apiVersion: dapr.io/v1
kind: Component
metadata: {}
spec:
  version: v2
  metadata:
    - value: orphan
    - name: a
      value: 1
      secretKeyRef: {name: A}
    - name: b
      secretKeyRef: {name: NOT_SET_ANYWHERE}
    - name: c
      value: {nested: true}
    - name: d
      value: x
    - name: d
      value: y
`,
    );
    const broken = write('broken.yaml', 'kind: Component\nmetadata: [unclosed\n');
    const dup1 = write('dup1.yaml', redis('same'));
    const dup2 = write('dup2.yaml', redis('same'));
    expect(await problemsOf()).toEqual([
      `${bad}: apiVersion is "dapr.io/v1"; use apiVersion: dapr.io/v1alpha1`,
      `${bad}: metadata.name is missing; add the name jobs use to target this component`,
      `${bad}: spec.type is missing; use one of ${SUPPORTED_COMPONENT_TYPES.join(', ')}`,
      `${bad}: spec.version "v2" is not supported; use version: v1`,
      `${bad}: spec.metadata[0] has no name; each entry needs name: and value: (or secretKeyRef:)`,
      `${bad}: spec.metadata[1] (a) has both value and secretKeyRef; keep one`,
      `${bad}: spec.metadata[2] (b) secretKeyRef names environment variable NOT_SET_ANYWHERE, which is not set; set it before starting Duetime`,
      `${bad}: spec.metadata[3] (c) value must be a string, number or boolean; quote it if it is text`,
      `${bad}: spec.metadata[5] (d) repeats a name already set above; keep one entry per name`,
      expect.stringMatching(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML: `)),
      `${dup2}: metadata.name "same" is already used by ${dup1}; component names must be unique`,
    ]);
  });

  it('says when the folder is missing', async () => {
    await expect(loadComponents(join(dir, 'nope'))).rejects.toThrow(`${join(dir, 'nope')}: components path does not exist; create it or fix --components-path`);
  });

  it('returns nothing for an empty folder', async () => {
    expect(await loadComponents(dir)).toEqual([]);
  });
});

describe('createComponents', () => {
  it('checks every metadata field before connecting anything, naming file, field and fix', async () => {
    const file = write(
      'all.yaml',
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: no-host}
spec: {type: pubsub.redis, version: v1, metadata: [{name: maxLenApprox, value: lots}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: slow}
spec: {type: pubsub.mqtt3, version: v1, metadata: [{name: url, value: "tcp://localhost:1883"}, {name: connectTimeout, value: soon}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: pg}
spec: {type: state.postgresql, version: v1, metadata: [{name: connectionString, value: "postgres://x"}, {name: tableName, value: "state; drop table x"}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: tick}
spec: {type: bindings.cron, version: v1}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: hook}
spec: {type: bindings.http, version: v1, metadata: [{name: url, value: "ftp://x"}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: rabbit}
spec: {type: pubsub.rabbitmq, version: v1, metadata: [{name: host, value: "amqp://x"}, {name: exchangeKind, value: fan}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: pg2}
spec: {type: state.postgresql, version: v1, metadata: [{name: connectionString, value: "host=db password"}]}
`,
    );
    const descriptors = await loadComponents(dir);
    expect(await problemsCreating(descriptors)).toEqual([
      `${file} (document 1): spec.metadata "redisHost" is required for pubsub.redis; add - name: redisHost with value: "localhost:6379"`,
      `${file} (document 2): spec.metadata "connectTimeout" is "soon"; use a duration like "500ms", "5s", "1m" or a number of seconds`,
      `${file} (document 3): spec.metadata "tableName" is "state; drop table x"; use a plain name like state or schema.state`,
      `${file} (document 4): spec.metadata "schedule" is required for bindings.cron; add - name: schedule with value: "@every 15s"`,
      `${file} (document 5): spec.metadata "url" is "ftp://x"; use an absolute http:// or https:// URL`,
      `${file} (document 6): spec.metadata "exchangeKind" is "fan"; use one of fanout, topic, direct, headers`,
      `${file} (document 7): spec.metadata "connectionString" has a word without =value at character 9; use key=value pairs or a postgres:// URL`,
    ]);
  });

  it('allows one job state store only', async () => {
    const a = write('a.yaml', redis('one', '    - name: jobStateStore\n      value: "true"\n'));
    const b = write('b.yaml', redis('two', '    - name: jobStateStore\n      value: "true"\n'));
    expect(await problemsCreating(await loadComponents(dir))).toEqual([
      `${a} and ${b} all set jobStateStore "true"; only one state store can hold job payloads`,
    ]);
  });

  it('returns cron bindings with their schedule and the route Dapr would call', async () => {
    write(
      'cron.yaml',
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: nightly}
spec: {type: bindings.cron, version: v1, metadata: [{name: schedule, value: "0 0 2 * * *"}]}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: routed}
spec: {type: bindings.cron, version: v1, metadata: [{name: schedule, value: "@every 5s"}, {name: route, value: "tick"}]}
`,
    );
    const registry = await createComponents(await loadComponents(dir));
    expect(registry.cronBindings).toEqual([
      { name: 'nightly', schedule: '0 0 2 * * *', route: '/nightly', source: `${join(dir, 'cron.yaml')} (document 1)` },
      { name: 'routed', schedule: '@every 5s', route: '/tick', source: `${join(dir, 'cron.yaml')} (document 2)` },
    ]);
    expect(registry.health()).toEqual([]);
    await registry.close();
  });

  it('starts with a broker that is down, reports it in health(), and closes cleanly', async () => {
    write('down.yaml', redis('offline').replace('localhost:6379', '127.0.0.1:1'));
    const registry = await createComponents(await loadComponents(dir));
    const store = registry.stateStores.get('offline')!;
    await expect(store.get('k')).rejects.toThrow(/state "offline" \(state\.redis\): not connected after waiting 5000 ms \(last error: .*ECONNREFUSED/);
    expect(registry.health()).toEqual([
      { name: 'offline', type: 'state.redis', healthy: false, lastError: expect.stringMatching(/ECONNREFUSED/) },
    ]);
    await registry.close();
  });
});
