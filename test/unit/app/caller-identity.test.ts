// Who is calling (app/caller-identity.ts): the app id and namespace a request names are checked
// as names every time they change, whatever was accepted before.

import { describe, expect, it } from 'vitest';
import { resolveCaller } from '../../../src/app/caller-identity.js';
import { TokenSet } from '../../../src/app/token-set.js';

const options = { defaultAppId: 'app', defaultNamespace: 'default', tokens: new TokenSet() };

describe('resolveCaller', () => {
  it('takes the named app and namespace, else the defaults', () => {
    expect(resolveCaller({}, options)).toEqual({ appId: 'app', namespace: 'default', bound: false });
    expect(resolveCaller({ appId: 'orders', namespace: 'shop' }, options)).toEqual({ appId: 'orders', namespace: 'shop', bound: false });
  });

  it('refuses a bad app id or namespace right after a good one, and takes the good one again after', () => {
    for (let i = 0; i < 3; i++) {
      expect(resolveCaller({ appId: 'orders', namespace: 'shop' }, options).appId).toBe('orders');
      expect(() => resolveCaller({ appId: 'ord/ers', namespace: 'shop' }, options)).toThrow(/app id "ord\/ers" contains/);
      expect(() => resolveCaller({ appId: 'orders', namespace: 'sh?op' }, options)).toThrow(/namespace "sh\?op" contains/);
      expect(() => resolveCaller({ appId: ' ', namespace: 'shop' }, options)).toThrow(/app id is empty/);
      expect(() => resolveCaller({ appId: 'orders', namespace: '..' }, options)).toThrow(/namespace cannot be/);
    }
  });
});
