// An app registered at run time may not carry an API token as its app token
// (app/registered-app-tokens.ts): refused with 400 naming the field and the fix, never the token;
// and a reload is told which registered app holds a token, by name.

import { describe, expect, it } from 'vitest';
import { refuseApiTokenAsAppToken, registeredAppTokens } from '../../../src/app/registered-app-tokens.js';
import { InvalidRequestError } from '../../../src/core/errors.js';

const apiTokens = [{ token: 'secret-unbound' }, { token: 'secret-orders', appId: 'orders' }];

describe('refuseApiTokenAsAppToken', () => {
  it('refuses an app token that is an API token in force, bound or not, naming the field and the fix but not the token', () => {
    for (const token of ['secret-unbound', 'secret-orders']) {
      let thrown: unknown;
      try {
        refuseApiTokenAsAppToken(token, apiTokens);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidRequestError);
      const error = thrown as InvalidRequestError;
      expect([error.code, error.field]).toEqual(['ERR_MALFORMED_REQUEST', 'token']);
      expect(error.message).toBe(
        'token is an API token of this server; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token',
      );
      expect(error.message).not.toMatch(/secret/);
    }
  });

  it('lets through no token, an empty one, one that only resembles an API token, and any token on a server without tokens', () => {
    for (const token of [undefined, '', 'secret-orders ', 'secret-order', 'SECRET-ORDERS']) expect(() => refuseApiTokenAsAppToken(token, apiTokens)).not.toThrow();
    expect(() => refuseApiTokenAsAppToken('secret-orders', [])).not.toThrow();
  });
});

describe('registeredAppTokens', () => {
  it('names each registered app by id and namespace, and where its token is changed', () => {
    expect(registeredAppTokens([{ namespace: 'prod', appId: 'orders', token: 'secret-to-orders' }])).toEqual([
      { token: 'secret-to-orders', where: 'the token of app "orders" (namespace "prod") as registered (PUT /v1.0/apps/orders)' },
    ]);
  });
});
