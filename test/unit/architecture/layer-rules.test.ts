// The dependency rule (docs/architecture.md) is enforced by the lint: each case below is a file
// in one layer with one import, linted with the project's own ESLint configuration. A wrong
// import must fail the lint with the layer's message; a right one must pass.

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  const refused: Array<[string, string, string, RegExp]> = [
    ['core imports an adapter', 'src/core/engine/x.ts', "import { SqliteJobStore } from '../../adapters/store-sqlite/sqlite-job-store.js';", /core imports nothing outside src\/core/],
    ['core imports app', 'src/core/x.ts', "import { JobsService } from '../app/jobs-service.js';", /core imports nothing outside/],
    ['core does I/O', 'src/core/model/x.ts', "import { readFileSync } from 'node:fs';", /core does no I\/O/],
    ['core uses a driver', 'src/core/ports/x.ts', "import Database from 'better-sqlite3';", /core uses no drivers/],
    ['an adapter imports another adapter', 'src/adapters/store-etcd/x.ts', "import { SqliteJobStore } from '../store-sqlite/sqlite-job-store.js';", /does not import another adapter/],
    ['a component adapter imports another adapter', 'src/adapters/components/pubsub-redis/x.ts', "import { HttpDeliverer } from '../../deliver-http/http-deliverer.js';", /does not import another adapter/],
    ['an adapter imports app', 'src/adapters/deliver-http/x.ts', "import { AppRegistry } from '../../app/app-registry.js';", /adapters import only core/],
    ['an adapter imports api', 'src/adapters/components/bindings-http/x.ts', "import { createHttpApi } from '../../../api/http/http-server.js';", /adapters import only core/],
    ['app imports an adapter', 'src/app/targets/x.ts', "import { StreamChannel } from '../../adapters/deliver-stream/stream-channel.js';", /app depends on core ports only/],
    ['api imports an adapter', 'src/api/grpc/x.ts', "import type { StreamChannel } from '../../adapters/deliver-stream/stream-channel.js';", /api reaches adapters only through core ports/],
    ['production code imports testing', 'src/main.ts', "import { FakeClock } from './testing/fake-clock.js';", /never imports testing/],
    ['the SDK imports server code', 'packages/sdk/src/x.ts', "import { Engine } from '../../../src/core/engine/engine.js';", /the SDK imports no server code/],
    ['the SDK protocol imports the SDK clients', 'packages/sdk/src/protocol/x.ts', "import { DuetimeClient } from '../client.js';", /protocol\/ none of the clients/],
    ['the SDK imports a server dependency', 'packages/sdk/src/x.ts', "import Database from 'better-sqlite3';", /depends only on @grpc\/grpc-js and @grpc\/proto-loader/],
  ];
  for (const [what, file, source, message] of refused) {
    it(`refuses: ${what}`, async () => {
      const messages = await restrictedImports(file, source);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(message);
    });
  }

  const allowed: Array<[string, string, string]> = [
    ['core within itself', 'src/core/engine/x.ts', "import { keyString } from '../model/job-key.js';"],
    ['an adapter imports a core port', 'src/adapters/store-sqlite/x.ts', "import type { JobStore } from '../../core/ports/job-store.js';"],
    ['a component adapter imports its shared folder', 'src/adapters/components/pubsub-redis/x.ts', "import { withTimeout } from '../shared/with-timeout.js';"],
    ['app imports core', 'src/app/x.ts', "import { Engine } from '../core/engine/engine.js';"],
    ['api imports app', 'src/api/http/x.ts', "import { JobsService } from '../../app/jobs-service.js';"],
    ['main picks adapters', 'src/main.ts', "import { SqliteJobStore } from './adapters/store-sqlite/sqlite-job-store.js';"],
    ['api imports the wire contract from the SDK package', 'src/api/grpc/x.ts', "import { loadDuetimeProtos } from '@duetime/sdk/protocol';"],
    ['app imports the job view type from the SDK package', 'src/app/x.ts', "import type { Job } from '@duetime/sdk';"],
    ['the SDK imports gRPC and its protocol folder', 'packages/sdk/src/x.ts', "import { Metadata } from '@grpc/grpc-js';\nimport { encodeValue } from './protocol/protobuf-value.js';"],
  ];
  for (const [what, file, source] of allowed) {
    it(`allows: ${what}`, async () => {
      expect(await restrictedImports(file, source)).toEqual([]);
    });
  }
});
