// One codec for the string forms of job and app keys. NUL cannot appear in a valid name, app id
// or namespace (names.ts refuses control characters), so NUL-joined forms are unambiguous, and
// they sort like the parts they join: one app's jobs are one contiguous range in code point order.

import type { JobKey } from './job.js';

const NUL = '\u0000';

/** namespace NUL appId NUL name: a map key, and the job part of store keys. */
export function keyString(key: JobKey): string {
  return `${key.namespace}${NUL}${key.appId}${NUL}${key.name}`;
}

/** The key a keyString() was made from; throws on a string that is not one. */
export function parseKeyString(text: string): JobKey {
  const first = text.indexOf(NUL);
  const second = text.indexOf(NUL, first + 1);
  if (first < 0 || second < 0) throw new Error(`malformed job key ${JSON.stringify(text)}`);
  return { namespace: text.slice(0, first), appId: text.slice(first + 1, second), name: text.slice(second + 1) };
}

/** namespace NUL appId: a map key per app. */
export function appKeyString(namespace: string, appId: string): string {
  return `${namespace}${NUL}${appId}`;
}

/** The namespace and app id an appKeyString() was made from. */
export function parseAppKeyString(text: string): { namespace: string; appId: string } {
  const nul = text.indexOf(NUL);
  if (nul < 0) throw new Error(`malformed app key ${JSON.stringify(text)}`);
  return { namespace: text.slice(0, nul), appId: text.slice(nul + 1) };
}
