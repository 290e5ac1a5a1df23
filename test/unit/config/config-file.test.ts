// The `tokens:` of a --config file (config/config-file.ts): each token is listed once. Tokens are
// matched in order (app/caller-identity.ts), so a token listed twice would act as whichever entry
// comes first, and an edit to the other copy would silently do nothing. No app's `token:` (sent
// to the app with every delivery) is one of the `tokens:` either. The refusal names the file and
// both entries, never the token.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../../src/config/config-file.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-config-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The message readConfigFile throws for this file. */
function refusal(path: string): string {
  try {
    readConfigFile(path);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${path} was accepted`);
}

describe('readConfigFile tokens', () => {
  it('accepts distinct tokens, bound or not', () => {
    const path = file('distinct.yaml', 'tokens:\n  - token: secret-a\n    appId: a\n  - token: secret-b\n    appId: b\n  - token: secret-c\n');
    expect(readConfigFile(path).tokens.map((t) => t.appId)).toEqual(['a', 'b', undefined]);
  });

  it('refuses the same token bound to two apps, naming the file, both entries and the first app', () => {
    const path = file('two-apps.yaml', 'tokens:\n  - token: secret-x\n    appId: z\n  - token: secret-shared\n    appId: a\n  - token: secret-y\n  - token: secret-shared\n    appId: b\n');
    const message = refusal(path);
    expect(message).toBe(`${path}: tokens[3].token is the same token as tokens[1] (bound to app "a"); give each app its own token`);
    expect(message).not.toMatch(/secret/);
  });

  it('refuses the same token bound to one app in two namespaces, or bound once and unbound once', () => {
    const namespaces = file('two-namespaces.yaml', 'tokens:\n  - token: secret-shared\n    appId: a\n    namespace: one\n  - token: secret-shared\n    appId: a\n    namespace: two\n');
    expect(refusal(namespaces)).toBe(`${namespaces}: tokens[1].token is the same token as tokens[0] (bound to app "a" in namespace "one"); give each app its own token`);
    const unbound = file('unbound-first.yaml', 'tokens:\n  - token: secret-shared\n  - token: secret-shared\n    appId: a\n');
    expect(refusal(unbound)).toBe(`${unbound}: tokens[1].token is the same token as tokens[0] (not bound to an app); give each app its own token`);
  });

  it('refuses the same token listed twice with the same binding too: an edit to one copy would do nothing', () => {
    const path = file('same-app.yaml', 'tokens:\n  - token: secret-shared\n    appId: a\n  - token: secret-shared\n    appId: a\n');
    const message = refusal(path);
    expect(message).toBe(`${path}: tokens[1].token is the same token as tokens[0], again bound to app "a"; list each token once`);
    expect(message).not.toMatch(/secret/);
    const unbound = file('same-unbound.yaml', 'tokens:\n  - token: secret-shared\n  - token: secret-shared\n');
    expect(refusal(unbound)).toBe(`${unbound}: tokens[1].token is the same token as tokens[0], again not bound to an app; list each token once`);
  });
});

describe('readConfigFile app tokens', () => {
  it('accepts app tokens that are not API tokens', () => {
    const path = file('app-tokens-distinct.yaml', 'apps:\n  - appId: orders\n    url: http://127.0.0.1:8080\n    token: secret-to-app\ntokens:\n  - token: secret-from-app\n    appId: orders\n');
    expect(readConfigFile(path).apps[0]!.token).toBe('secret-to-app');
  });

  it('refuses an app token that is also one of the tokens: (every app receiving deliveries would hold an API key), naming both entries', () => {
    const path = file('app-token-is-api-token.yaml', 'apps:\n  - appId: orders\n    url: http://127.0.0.1:8080\n  - appId: billing\n    url: http://127.0.0.1:8081\n    token: secret-shared\ntokens:\n  - token: secret-other\n  - token: secret-shared\n    appId: billing\n');
    const message = refusal(path);
    expect(message).toBe(
      `${path}: apps[1].token (app "billing") is the same token as tokens[1], an API token; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token`,
    );
    expect(message).not.toMatch(/secret/);
  });
});
