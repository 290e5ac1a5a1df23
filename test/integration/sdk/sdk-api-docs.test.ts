// docs/sdk-api/ is generated from the SDK's TSDoc (`npm run docs:sdk`) and committed: this
// regenerates it into a temporary folder with the same options and compares, so a changed
// export or comment without a regenerated reference fails here.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COMMITTED = path.join(ROOT, 'docs/sdk-api');

function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = readFileSync(file, 'utf8');
  }
  return files;
}

describe('docs/sdk-api', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'duetime-sdk-api-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what TypeDoc generates from the SDK today (npm run docs:sdk)', { timeout: 120_000 }, async () => {
    const typedoc = path.join(ROOT, 'node_modules/typedoc/bin/typedoc');
    await promisify(execFile)(process.execPath, [typedoc, '--options', 'packages/sdk/typedoc.json', '--out', out], { cwd: ROOT, timeout: 100_000 });
    const generated = tree(out);
    const committed = tree(COMMITTED);
    expect(Object.keys(committed).sort()).toEqual(Object.keys(generated).sort());
    for (const [file, text] of Object.entries(generated)) expect(committed[file], `docs/sdk-api/${file} is stale: run npm run docs:sdk`).toBe(text);
  });
});
