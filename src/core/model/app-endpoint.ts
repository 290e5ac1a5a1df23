// The rules for an app registration's endpoint, shared by every way one is made: `PUT
// /v1.0/apps/{appId}`, `--app-url` and the apps of a `--config` file. One function, so a URL the API
// refuses is refused at start too, with the same words.

import { InvalidRequestError } from '../errors.js';
import { OutboundPolicy } from './outbound-policy.js';

/** Limits on what a registration stores (it is kept in the store and copied to every replica). */
export const APP_REGISTRATION_LIMITS = { urlLength: 2048, actorTypes: 256, actorTypeLength: 512, tokenLength: 4096 } as const;

export interface AppEndpointInput {
  url: unknown;
  actorTypes?: unknown;
  token?: unknown;
}

export interface ValidAppEndpoint {
  url: string;
  actorTypes: string[];
  token?: string;
}

/**
 * Checks an endpoint as a caller wrote it; throws an InvalidRequestError naming the field (`url`,
 * `actorTypes` or `token`) and the fix. The URL must carry no user name or password, must not
 * name port 0, and must be allowed by the outbound policy (--allow-outbound; an IP literal is
 * judged now, a host name when Duetime connects).
 */
export function validateAppEndpoint(input: AppEndpointInput, outbound: OutboundPolicy = OutboundPolicy.default()): ValidAppEndpoint {
  const limits = APP_REGISTRATION_LIMITS;
  const { url, token } = input;
  const parsed = typeof url === 'string' ? httpUrl(url) : undefined;
  if (typeof url !== 'string' || !parsed) {
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'url must be an http(s) URL such as "http://127.0.0.1:8080"', 'url');
  }
  if (url.length > limits.urlLength) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `url must be at most ${limits.urlLength} characters`, 'url');
  if (parsed.username !== '' || parsed.password !== '') {
    // The URL is not echoed: it holds a secret.
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'url must not carry a user name or password (user:password@); give the app a token instead, sent as dapr-api-token', 'url');
  }
  if (parsed.port === '0') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'url must not name port 0; use the port the app listens on', 'url');
  const refusal = outbound.refusalOfUrl(parsed, 'url');
  if (refusal !== undefined) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', refusal, 'url');
  const actorTypes = input.actorTypes ?? [];
  if (!Array.isArray(actorTypes) || !actorTypes.every((t) => typeof t === 'string')) {
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'actorTypes must be a list of strings', 'actorTypes');
  }
  if (actorTypes.length > limits.actorTypes || actorTypes.some((t: string) => t.length === 0 || t.length > limits.actorTypeLength)) {
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `actorTypes must hold at most ${limits.actorTypes} names of 1 to ${limits.actorTypeLength} characters`, 'actorTypes');
  }
  if (token !== undefined && typeof token !== 'string') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'token must be a string', 'token');
  if (token !== undefined && token.length > limits.tokenLength) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `token must be at most ${limits.tokenLength} characters`, 'token');
  return { url, actorTypes: actorTypes as string[], ...(token ? { token } : {}) };
}

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
