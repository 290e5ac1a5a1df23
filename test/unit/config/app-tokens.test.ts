// The tokens a server sends to apps (config/app-tokens.ts), each named by where it was set: the
// name is what a refusal shows (app/token-reload.ts), since the token itself never may.

import { describe, expect, it } from 'vitest';
import { appTokensInUse } from '../../../src/config/app-tokens.js';

const apps = [
  { appId: 'orders', url: 'http://127.0.0.1:8080', token: 'to-orders' },
  { appId: 'billing', url: 'http://127.0.0.1:8081' },
];

describe('appTokensInUse', () => {
  it("names each app's own token by its entry, and --app-api-token by its flag and environment variable", () => {
    expect(appTokensInUse({ configFile: 'duetime.yaml' }, apps, 'to-the-rest')).toEqual([
      { token: 'to-orders', where: 'duetime.yaml: apps[0].token (app "orders")' },
      { token: 'to-the-rest', where: '--app-api-token / DUETIME_APP_API_TOKEN' },
    ]);
  });

  it('names --app-api-token-file and its path when the token came from the file', () => {
    expect(appTokensInUse({ appApiTokenFile: '/run/secrets/app-token' }, [], 'to-apps')).toEqual([{ token: 'to-apps', where: '--app-api-token-file (/run/secrets/app-token)' }]);
  });

  it('is empty when no token is sent to apps', () => {
    expect(appTokensInUse({ configFile: 'duetime.yaml' }, [apps[1]!], undefined)).toEqual([]);
  });
});
