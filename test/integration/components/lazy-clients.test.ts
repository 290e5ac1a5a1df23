// The broker and database clients are loaded only for a component of their type
// (src/adapters/components/create-components.ts): a server without components does not pay
// their import time at every start. A child process imports the build with a module hook that
// records every package an `import` resolves to, then creates one state.redis component.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, builtCliEnv } from '../../../src/testing/built-cli.js';

const CLIENTS = ['ioredis', 'mqtt', 'amqplib', 'pg', '@nats-io/transport-node', '@nats-io/jetstream'];
const DIST = join(BUILT_CLI, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'duetime-lazy-clients-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bare package specifiers the build imported, before and after creating a state.redis component. */
function importedPackages(): { atImport: string[]; afterRedis: string[] } {
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (!/^[.\\/]|^node:|^file:/.test(specifier)) appendFileSync(${JSON.stringify(join(dir, 'imports.log'))}, specifier + '\\n');
  return next(specifier, context);
}
`,
  );
  const script = `
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const log = ${JSON.stringify(join(dir, 'imports.log'))};
writeFileSync(log, '');
await import(${JSON.stringify(pathToFileURL(join(DIST, 'main.js')).href)});
const atImport = readFileSync(log, 'utf8');
const { createComponents } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'adapters/components/index.js')).href)});
const registry = await createComponents([{ name: 'cache', type: 'state.redis', version: 'v1', metadata: { redisHost: '127.0.0.1:1' }, scopes: [], source: 'test' }]);
await registry.close();
console.log(JSON.stringify({ atImport: atImport.split('\\n'), afterRedis: readFileSync(log, 'utf8').split('\\n') }));
`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: builtCliEnv(), encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { atImport: string[]; afterRedis: string[] };
}

describe('component client libraries', () => {
  it('are not imported by the server until a component of their type is created', () => {
    const { atImport, afterRedis } = importedPackages();
    // The hook sees the server's own packages (fastify, undici...): it does record bare imports.
    expect(atImport).toContain('fastify');
    for (const client of CLIENTS) expect(atImport, client).not.toContain(client);
    expect(afterRedis).toContain('ioredis');
    for (const client of CLIENTS.filter((c) => c !== 'ioredis')) expect(afterRedis, client).not.toContain(client);
  });
});
