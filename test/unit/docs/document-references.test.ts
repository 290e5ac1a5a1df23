// Documents cite only what is in the repository: no sections of a specification that is not here
// ("SPEC 5", "§"), no ARCHITECTURE.md or ../shared paths, and every relative link resolves to a
// file of the repository. The first-day files exist: LICENSE, CHANGELOG.md, and the README links
// the OpenAPI description the server serves.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return entry.endsWith('.md') ? [path] : [];
  });
}

const documents = [
  ...['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'packages/sdk/README.md', 'examples/README.md'].map((f) => join(ROOT, f)).filter((f) => existsSync(f)),
  ...markdownFiles(join(ROOT, 'docs')),
];

describe('documents', () => {
  it('cite no section or file that is not in the repository', () => {
    const problems: string[] = [];
    for (const file of documents) {
      const text = readFileSync(file, 'utf8');
      const name = relative(ROOT, file);
      text.split('\n').forEach((line, i) => {
        if (/\bSPEC\b|§|ARCHITECTURE\.md|\.\.\/shared\b/.test(line)) problems.push(`${name}:${i + 1}: ${line.trim()}`);
      });
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/i.test(target) || target.startsWith('/')) continue;
        const path = resolve(dirname(file), decodeURIComponent(target));
        if (!path.startsWith(ROOT) || !existsSync(path)) problems.push(`${name}: link to ${match[1]} resolves to nothing in the repository`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('LICENSE and CHANGELOG.md exist, and the README links /openapi.json', () => {
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toMatch(/## \[Unreleased\]/);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('/openapi.json');
  });
});
