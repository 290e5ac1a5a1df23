// The SDK is what apps install (packages/sdk, `@duetime/sdk`): it must not pull in server code
// (engine, stores, HTTP server). Follows every relative import from each of its entry points
// and checks where it leads. test/integration/sdk/sdk-package.test.ts installs the packed
// package on its own.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SDK_SOURCES = 'packages/sdk/src/';
/** The package's "exports": the main entry, the HTTP client alone, and the wire contract it shares with the server. */
const ENTRIES = ['packages/sdk/src/index.ts', 'packages/sdk/src/http.ts', 'packages/sdk/src/protocol/index.ts'];
type Manifest = { dependencies: Record<string, string> };
const manifest = JSON.parse(readFileSync(path.join(root, 'packages/sdk/package.json'), 'utf8')) as Manifest;
const serverManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

function reachable(entries: string[]): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('.')) {
        packages.add(specifier);
        continue;
      }
      visit(path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier.replace(/\.js$/, '.ts'))));
    }
  };
  for (const entry of entries) visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

describe('the SDK', () => {
  it('reaches only its own files', () => {
    const { files } = reachable(ENTRIES);
    expect(files.filter((f) => !f.startsWith(SDK_SOURCES))).toEqual([]);
  });

  it('needs only gRPC packages and Node built-ins, and declares exactly the two the server pins', () => {
    const { packages } = reachable(ENTRIES);
    expect(packages.filter((p) => !p.startsWith('node:') && !p.startsWith('@grpc/'))).toEqual([]);
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@grpc/grpc-js', '@grpc/proto-loader']);
    // Pinned to the server's versions: one copy of each in the workspace, one tested pair.
    for (const [name, version] of Object.entries(manifest.dependencies)) expect(version).toBe(serverManifest.dependencies[name]);
  });

  it("has an HTTP entry that loads no package (no gRPC), exporting the main entry's own classes", async () => {
    expect(reachable(['packages/sdk/src/http.ts']).packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
    const [http, main] = await Promise.all([import('@duetime/sdk/http'), import('@duetime/sdk')]);
    expect(http.DuetimeClient).toBe(main.DuetimeClient);
    expect(http.DuetimeApiError).toBe(main.DuetimeApiError);
  });
});
