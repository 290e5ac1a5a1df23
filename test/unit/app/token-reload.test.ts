// Reading the API tokens again on SIGHUP (app/token-reload.ts): a good file replaces the token set
// at once; a file that does not read or check, or that would turn authentication on or off,
// changes nothing and says why, naming the file and the field but never a token.

import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCaller } from '../../../src/app/caller-identity.js';
import { describeTokenReload, reloadTokens, tokensFrom, type TokenSources } from '../../../src/app/token-reload.js';
import { TokenSet } from '../../../src/app/token-set.js';
import { readConfigFile } from '../../../src/config/config-file.js';
import { readApiTokenFile } from '../../../src/config/edge-settings.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-token-reload-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readers = { readConfigTokens: (file: string) => readConfigFile(file).tokens, readTokenFile: readApiTokenFile };

/** A server as started: its sources, and the token set built from them the way main.ts does. */
function started(sources: TokenSources): TokenSet {
  return new TokenSet(tokensFrom(sources.configFile ? readers.readConfigTokens(sources.configFile) : [], sources.apiTokenFile ? readApiTokenFile(sources.apiTokenFile) : sources.fixedToken, sources));
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const identity = (tokens: TokenSet) => ({ defaultAppId: 'app', defaultNamespace: 'default', tokens });

describe('reloadTokens', () => {
  it('puts a good file in force at once: a removed token is refused, a new one accepted, a rebound one acts as its new app', () => {
    const config = file('good.yaml', 'tokens:\n  - token: old-token\n    appId: orders\n  - token: kept-token\n    appId: orders\n');
    const tokens = started({ configFile: config });
    expect(resolveCaller({ token: 'old-token' }, identity(tokens)).appId).toBe('orders');

    writeFileSync(config, 'tokens:\n  - token: new-token\n    appId: orders\n  - token: kept-token\n    appId: billing\n');
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome).toEqual({ result: 'reloaded', files: [config], changes: { added: 1, removed: 1, rebound: 1, total: 2 } });

    expect(() => resolveCaller({ token: 'old-token' }, identity(tokens))).toThrow(/not valid/);
    expect(resolveCaller({ token: 'new-token' }, identity(tokens))).toMatchObject({ appId: 'orders', bound: true });
    expect(resolveCaller({ token: 'kept-token' }, identity(tokens))).toMatchObject({ appId: 'billing', bound: true });
    expect(() => resolveCaller({ token: 'kept-token', appId: 'orders' }, identity(tokens))).toThrow(/belongs to app "billing"/);
    const { level, message } = describeTokenReload(outcome);
    expect(level).toBe('info');
    expect(message).toContain(config);
    expect(message).toMatch(/1 added, 1 removed, 1 bound to another app/);
  });

  it('tells every listener once the new set is in force', () => {
    const config = file('listeners.yaml', 'tokens:\n  - token: a\n');
    const tokens = started({ configFile: config });
    const seen: string[][] = [];
    const stop = tokens.onReplaced(() => seen.push(tokens.current.map((t) => t.token)));
    writeFileSync(config, 'tokens:\n  - token: b\n');
    expect(reloadTokens({ sources: { configFile: config }, ...readers, tokens }).result).toBe('reloaded');
    stop();
    writeFileSync(config, 'tokens:\n  - token: c\n');
    expect(reloadTokens({ sources: { configFile: config }, ...readers, tokens }).result).toBe('reloaded');
    expect(seen).toEqual([['b']]);
  });

  it.each([
    ['YAML that does not parse', 'bad-yaml.yaml', 'tokens:\n  - token: secret-in-a-broken-line: x\n', /bad-yaml\.yaml.*line 2, column/],
    ['an entry without a token', 'bad-entry.yaml', 'tokens:\n  - token: secret-kept\n  - appId: orders\n', /bad-entry\.yaml.*tokens\[1\]\.token/],
    ['an entry that is not a mapping', 'not-mapping.yaml', 'tokens:\n  - secret-bare\n', /not-mapping\.yaml.*tokens\[0\]/],
    ['a bound app id that is not a name', 'bad-app.yaml', 'tokens:\n  - token: secret-x\n    appId: "or/ders"\n', /bad-app\.yaml.*tokens\[0\]\.appId/],
    ['tokens that are not a list', 'not-list.yaml', 'tokens: secret-scalar\n', /not-list\.yaml.*tokens must be a list/],
  ])('keeps the tokens in force when the file has %s, naming the file and the field but no token', (_what, name, text, error) => {
    const config = file(name, 'tokens:\n  - token: old-token\n');
    const tokens = started({ configFile: config });
    const before = tokens.current;
    writeFileSync(config, text);
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome.result).toBe('failed');
    const message = describeTokenReload(outcome);
    expect(message.level).toBe('error');
    expect(message.message).toMatch(error);
    expect(message.message).toMatch(/previous tokens stay in force/);
    expect(message.message).not.toMatch(/secret/);
    expect(tokens.current).toBe(before);
    expect(resolveCaller({ token: 'old-token' }, identity(tokens)).bound).toBe(false);
  });

  it('prints no YAML warning, which would quote the line (and the token) at fault', async () => {
    const config = file('warned.yaml', 'tokens:\n  - token: old-token\n');
    const tokens = started({ configFile: config });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      writeFileSync(config, 'tokens:\n  - token: !!odd secret-tagged\n');
      expect(reloadTokens({ sources: { configFile: config }, ...readers, tokens }).result).toBe('reloaded');
      await new Promise((resolve) => setTimeout(resolve, 50)); // process warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.includes('secret'))).toEqual([]);
  });

  it('keeps the tokens in force when the file was removed', () => {
    const config = file('removed.yaml', 'tokens:\n  - token: old-token\n');
    const tokens = started({ configFile: config });
    unlinkSync(config);
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome).toMatchObject({ result: 'failed', error: expect.stringMatching(/removed\.yaml.*ENOENT/) });
    expect(resolveCaller({ token: 'old-token' }, identity(tokens)).appId).toBe('app');
  });

  it('refuses to turn authentication off (no token left): that needs a restart', () => {
    const config = file('on-off.yaml', 'tokens:\n  - token: old-token\n');
    const tokens = started({ configFile: config });
    writeFileSync(config, 'apps: []\n');
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome.result).toBe('failed');
    expect(describeTokenReload(outcome).message).toMatch(/turn API authentication off.*restart/);
    expect(() => resolveCaller({}, identity(tokens))).toThrow(/missing API token/);
    expect(resolveCaller({ token: 'old-token' }, identity(tokens)).appId).toBe('app');
  });

  it('refuses to turn authentication on (tokens where there were none): that needs a restart', () => {
    const config = file('off-on.yaml', 'apps: []\n');
    const tokens = started({ configFile: config });
    expect(tokens.required).toBe(false);
    writeFileSync(config, 'tokens:\n  - token: new-token\n');
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome.result).toBe('failed');
    expect(describeTokenReload(outcome).message).toMatch(/turn API authentication on.*restart/);
    expect(tokens.required).toBe(false);
    expect(resolveCaller({ appId: 'anyone' }, identity(tokens)).appId).toBe('anyone');
  });

  it('a server without tokens that stays without is reloaded with nothing to change', () => {
    const config = file('stays-off.yaml', 'apps: []\n');
    const tokens = started({ configFile: config });
    expect(reloadTokens({ sources: { configFile: config }, ...readers, tokens })).toMatchObject({ result: 'reloaded', changes: { total: 0 } });
  });

  it('reads --api-token-file again: the rotated token replaces the old one; a removed or empty file changes nothing', () => {
    const tokenFile = file('api-token', 'first-token\n');
    const tokens = started({ apiTokenFile: tokenFile });
    writeFileSync(tokenFile, 'second-token\n');
    expect(reloadTokens({ sources: { apiTokenFile: tokenFile }, ...readers, tokens })).toMatchObject({ result: 'reloaded', files: [tokenFile] });
    expect(() => resolveCaller({ token: 'first-token' }, identity(tokens))).toThrow(/not valid/);
    expect(resolveCaller({ token: 'second-token' }, identity(tokens)).bound).toBe(false);

    writeFileSync(tokenFile, '');
    const empty = reloadTokens({ sources: { apiTokenFile: tokenFile }, ...readers, tokens });
    expect(empty).toMatchObject({ result: 'failed', error: expect.stringMatching(/--api-token-file.*api-token must hold one token/) });
    unlinkSync(tokenFile);
    expect(reloadTokens({ sources: { apiTokenFile: tokenFile }, ...readers, tokens })).toMatchObject({ result: 'failed', error: expect.stringMatching(/--api-token-file.*cannot read.*api-token.*ENOENT/) });
    expect(resolveCaller({ token: 'second-token' }, identity(tokens)).bound).toBe(false);
  });

  it('keeps a literal --api-token (it cannot change) beside the file tokens it reads again', () => {
    const config = file('with-literal.yaml', 'tokens:\n  - token: file-token\n    appId: orders\n');
    const sources = { configFile: config, fixedToken: 'literal-token' };
    const tokens = started(sources);
    writeFileSync(config, 'tokens: []\n');
    // The literal token is still there, so no token in the file is not authentication off.
    expect(reloadTokens({ sources, ...readers, tokens })).toMatchObject({ result: 'reloaded', changes: { removed: 1, total: 1 } });
    expect(() => resolveCaller({ token: 'file-token' }, identity(tokens))).toThrow(/not valid/);
    expect(resolveCaller({ token: 'literal-token' }, identity(tokens)).bound).toBe(false);
  });

  it('one bad file of two changes nothing', () => {
    const config = file('pair.yaml', 'tokens:\n  - token: file-token\n');
    const tokenFile = file('pair-token', 'first-token\n');
    const sources = { configFile: config, apiTokenFile: tokenFile };
    const tokens = started(sources);
    writeFileSync(config, 'tokens:\n  - token: file-token-2\n');
    unlinkSync(tokenFile);
    expect(reloadTokens({ sources, ...readers, tokens }).result).toBe('failed');
    expect(resolveCaller({ token: 'file-token' }, identity(tokens)).appId).toBe('app');
    expect(() => resolveCaller({ token: 'file-token-2' }, identity(tokens))).toThrow(/not valid/);
  });

  it('refuses a file that lists one token twice, bound to two apps; the tokens in force stay', () => {
    const config = file('twice.yaml', 'tokens:\n  - token: secret-a\n    appId: a\n');
    const tokens = started({ configFile: config });
    const before = tokens.current;
    writeFileSync(config, 'tokens:\n  - token: secret-a\n    appId: a\n  - token: secret-b\n    appId: b\n  - token: secret-a\n    appId: c\n');
    const outcome = reloadTokens({ sources: { configFile: config }, ...readers, tokens });
    expect(outcome).toMatchObject({ result: 'failed', error: `${config}: tokens[2].token is the same token as tokens[0] (bound to app "a"); give each app its own token` });
    expect(describeTokenReload(outcome).message).not.toMatch(/secret/);
    expect(tokens.current).toBe(before);
    expect(() => resolveCaller({ token: 'secret-b' }, identity(tokens))).toThrow(/not valid/);
  });

  it('refuses at start a file token that is also the unbound --api-token, naming the entry and the flag but not the token', () => {
    const config = file('bound-and-unbound.yaml', 'tokens:\n  - token: secret-other\n    appId: a\n  - token: secret-both\n    appId: b\n');
    const sources = { configFile: config, fixedToken: 'secret-both' };
    expect(() => started(sources)).toThrow(`${config}: tokens[1].token is the same token as --api-token / DUETIME_API_TOKEN, which is not bound to an app; give the app a token of its own`);
    expect(() => started(sources)).not.toThrow(/secret/);
    const tokenFile = file('bound-and-unbound-token', 'secret-both\n');
    expect(() => started({ configFile: config, apiTokenFile: tokenFile })).toThrow(`${config}: tokens[1].token is the same token as --api-token-file (${tokenFile}), which is not bound to an app; give the app a token of its own`);
  });

  it('refuses a reload that would make a file token and the unbound API token one token, whichever file changed', () => {
    const config = file('meet.yaml', 'tokens:\n  - token: secret-bound\n    appId: a\n');
    const tokenFile = file('meet-token', 'secret-unbound\n');
    const sources = { configFile: config, apiTokenFile: tokenFile };
    const tokens = started(sources);
    const before = tokens.current;
    writeFileSync(tokenFile, 'secret-bound\n');
    const rotated = reloadTokens({ sources, ...readers, tokens });
    expect(rotated).toMatchObject({ result: 'failed', error: expect.stringContaining(`${config}: tokens[0].token is the same token as --api-token-file (${tokenFile})`) });
    expect(describeTokenReload(rotated).message).not.toMatch(/secret/);
    writeFileSync(tokenFile, 'secret-unbound\n');
    writeFileSync(config, 'tokens:\n  - token: secret-bound\n    appId: a\n  - token: secret-unbound\n    appId: b\n');
    expect(reloadTokens({ sources, ...readers, tokens })).toMatchObject({ result: 'failed', error: expect.stringContaining(`${config}: tokens[1].token is the same token as --api-token-file`) });
    expect(tokens.current).toBe(before);

    const literal = { configFile: config, fixedToken: 'secret-literal' };
    writeFileSync(config, 'tokens:\n  - token: secret-bound\n    appId: a\n');
    const withLiteral = started(literal);
    writeFileSync(config, 'tokens:\n  - token: secret-literal\n    appId: a\n');
    expect(reloadTokens({ sources: literal, ...readers, tokens: withLiteral })).toMatchObject({ result: 'failed', error: expect.stringContaining('tokens[0].token is the same token as --api-token / DUETIME_API_TOKEN') });
  });

  const clash = ', an API token; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token';

  it('refuses at start an API token that is also an app token, from whichever source, naming both but not the token', () => {
    const config = file('app-token-clash.yaml', 'tokens:\n  - token: secret-other\n  - token: secret-both\n    appId: orders\n');
    const flagApp = [{ token: 'secret-both', where: '--app-api-token / DUETIME_APP_API_TOKEN' }];
    const fileApp = [{ token: 'secret-both', where: `${config}: apps[0].token (app "orders")` }];
    const refused = (sources: TokenSources): string => {
      try {
        started(sources);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ configFile: config, appTokens: flagApp })).toBe(`--app-api-token / DUETIME_APP_API_TOKEN is the same token as ${config}: tokens[1]${clash}`);
    expect(refused({ fixedToken: 'secret-both', appTokens: fileApp })).toBe(`${config}: apps[0].token (app "orders") is the same token as --api-token / DUETIME_API_TOKEN${clash}`);
    const tokenFile = file('app-token-clash-token', 'secret-both\n');
    const message = refused({ apiTokenFile: tokenFile, appTokens: [{ token: 'secret-other', where: 'an app' }, ...fileApp] });
    expect(message).toBe(`${config}: apps[0].token (app "orders") is the same token as --api-token-file (${tokenFile})${clash}`);
    expect(message).not.toMatch(/secret/);
    // Distinct app and API tokens start.
    expect(started({ configFile: config, fixedToken: 'secret-api', appTokens: [{ token: 'secret-app', where: 'an app' }] }).current).toHaveLength(3);
  });

  it('refuses a reload that would make an API token of an app token in force, whichever file changed; the tokens in force stay', () => {
    const config = file('app-token-reload.yaml', 'tokens:\n  - token: secret-api\n    appId: orders\n');
    const tokenFile = file('app-token-reload-token', 'secret-unbound\n');
    const sources = { configFile: config, apiTokenFile: tokenFile, appTokens: [{ token: 'secret-to-app', where: '--app-api-token / DUETIME_APP_API_TOKEN' }] };
    const tokens = started(sources);
    const before = tokens.current;
    writeFileSync(config, 'tokens:\n  - token: secret-api\n    appId: orders\n  - token: secret-to-app\n    appId: orders\n');
    const rotated = reloadTokens({ sources, ...readers, tokens });
    expect(rotated).toEqual({ result: 'failed', files: [config, tokenFile], error: `--app-api-token / DUETIME_APP_API_TOKEN is the same token as ${config}: tokens[1]${clash}` });
    const told = describeTokenReload(rotated);
    expect(told.level).toBe('error');
    expect(told.message).not.toMatch(/secret/);
    writeFileSync(config, 'tokens:\n  - token: secret-api\n    appId: orders\n');
    writeFileSync(tokenFile, 'secret-to-app\n');
    expect(reloadTokens({ sources, ...readers, tokens })).toMatchObject({ result: 'failed', error: `--app-api-token / DUETIME_APP_API_TOKEN is the same token as --api-token-file (${tokenFile})${clash}` });
    expect(tokens.current).toBe(before);
    expect(() => resolveCaller({ token: 'secret-to-app' }, identity(tokens))).toThrow(/not valid/);
  });

  it('refuses a reload that would make an API token of a registered app\'s token, read at the reload; a configured app is named first; the tokens in force stay', () => {
    const config = file('registered-app-token.yaml', 'tokens:\n  - token: secret-api\n    appId: orders\n');
    const sources = { configFile: config, appTokens: [{ token: 'secret-configured', where: `${config}: apps[0].token (app "billing")` }] };
    const tokens = started(sources);
    const before = tokens.current;
    // Registered after the start: what the registry holds when the reload runs.
    let registered = [{ token: 'secret-registered', where: 'the token of app "orders" (namespace "default") as registered (PUT /v1.0/apps/orders)' }];
    const registeredAppTokens = () => registered;
    writeFileSync(config, 'tokens:\n  - token: secret-api\n    appId: orders\n  - token: secret-registered\n    appId: billing\n');
    const rotated = reloadTokens({ sources, ...readers, tokens, registeredAppTokens });
    expect(rotated).toEqual({ result: 'failed', files: [config], error: `the token of app "orders" (namespace "default") as registered (PUT /v1.0/apps/orders) is the same token as ${config}: tokens[1]${clash}` });
    expect(describeTokenReload(rotated).message).not.toMatch(/secret-/);
    expect(tokens.current).toBe(before);
    expect(() => resolveCaller({ token: 'secret-registered' }, identity(tokens))).toThrow(/not valid/);

    // The registry also holds the configured app: the refusal names where it was configured.
    registered = [{ token: 'secret-configured', where: 'the token of app "billing" (namespace "default") as registered (PUT /v1.0/apps/billing)' }];
    writeFileSync(config, 'tokens:\n  - token: secret-configured\n');
    expect(reloadTokens({ sources, ...readers, tokens, registeredAppTokens })).toMatchObject({ error: expect.stringMatching(/apps\[0\]\.token \(app "billing"\) is the same token as/) });

    // Re-registered with another token: the same file now reloads.
    registered = [{ token: 'secret-registered-2', where: 'the token of app "orders" (namespace "default") as registered (PUT /v1.0/apps/orders)' }];
    writeFileSync(config, 'tokens:\n  - token: secret-api\n    appId: orders\n  - token: secret-registered\n    appId: billing\n');
    expect(reloadTokens({ sources, ...readers, tokens, registeredAppTokens })).toMatchObject({ result: 'reloaded' });
  });

  it('has nothing to read when the server was started with neither file', () => {
    const tokens = started({ fixedToken: 'literal-token' });
    const outcome = reloadTokens({ sources: { fixedToken: 'literal-token' }, ...readers, tokens });
    expect(outcome).toEqual({ result: 'not-configured' });
    expect(describeTokenReload(outcome, { othersRead: false })).toMatchObject({ level: 'info', message: expect.stringMatching(/--api-token/) });
    // The same SIGHUP read the --access-control file: a note for debugging, not a line at every reload.
    expect(describeTokenReload(outcome, { othersRead: true }).level).toBe('debug');
  });
});

describe('TokenSet', () => {
  it('refuses a replacement that would turn authentication on or off, whoever asks', () => {
    expect(() => new TokenSet([{ token: 'a' }]).replace([])).toThrow(/restart/);
    expect(() => new TokenSet([]).replace([{ token: 'a' }])).toThrow(/restart/);
  });
});
