import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, envName } from '../../../src/config/config.js';

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  it.each(CONFIG_FIELDS.map((f) => [f.flag, f]))('documents --%s and its env twin', (_flag, field) => {
    expect(doc).toContain(`\`--${field.flag}\``);
    expect(doc).toContain(`\`${envName(field)}\``);
  });
});
