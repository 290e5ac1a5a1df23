// How a stored app registration is written (JSON): one codec for every store, so SQLite's apps
// table and etcd's apps/ keys hold the same text. Decoding is strict: a value that is not a
// registration (written by hand, or by a later release) is reported as undefined, never thrown
// into a watch or a start-up.

import type { AppEndpoint } from '../ports/app-directory.js';
import type { RegistrationOrigin } from '../ports/app-registrations.js';

/** The stored value: the endpoint's fields and where the registration came from. */
export interface RegistrationValue {
  endpoint: AppEndpoint;
  origin: RegistrationOrigin;
}

export function encodeRegistration(value: RegistrationValue): string {
  const { url, token, actorTypes } = value.endpoint;
  return JSON.stringify({ url, ...(token !== undefined ? { token } : {}), actorTypes: [...actorTypes], origin: value.origin });
}

export function decodeRegistration(text: string): RegistrationValue | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { url, token, actorTypes, origin } = raw as Record<string, unknown>;
  if (typeof url !== 'string') return undefined;
  if (token !== undefined && typeof token !== 'string') return undefined;
  if (!Array.isArray(actorTypes) || !actorTypes.every((t): t is string => typeof t === 'string')) return undefined;
  // Absent origin (none written yet by hand): treat as the API's, which every replica follows.
  const from: RegistrationOrigin = origin === 'config' ? 'config' : 'api';
  return { endpoint: { url, actorTypes, ...(token !== undefined ? { token } : {}) }, origin: from };
}
