// The SDK is what apps install: it must not pull in server code (engine, stores, HTTP server).
// Follows every relative import from src/sdk/index.ts and checks where it leads.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Shared with the server, pure: the .proto loader, the message shapes and the hand-written wire helpers. */
const ALLOWED_OUTSIDE_SDK = ['src/api/grpc/go-duration-format.ts', 'src/api/grpc/messages.ts', 'src/api/grpc/proto-loader.ts', 'src/api/grpc/protobuf-value.ts', 'src/api/grpc/protobuf-wire.ts'];

function reachable(entry: string): { files: string[]; packages: string[] } {
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
  visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

describe('the SDK', () => {
  it('reaches only its own files and the shared pure gRPC helpers', () => {
    const { files } = reachable('src/sdk/index.ts');
    expect(files.filter((f) => !f.startsWith('src/sdk/') && !ALLOWED_OUTSIDE_SDK.includes(f))).toEqual([]);
  });

  it('needs only gRPC packages and Node built-ins', () => {
    const { packages } = reachable('src/sdk/index.ts');
    expect(packages.filter((p) => !p.startsWith('node:') && !p.startsWith('@grpc/'))).toEqual([]);
  });
});
