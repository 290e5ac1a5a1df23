// The query string a route reads is checked before the route runs: a parameter given twice
// (`?prefix=a&prefix=b`, which the parser turns into an array no route expects) or one whose
// percent-encoding does not decode to UTF-8 text (`?prefix=%ZZ`, which the parser passes on
// raw) is the caller's mistake, a 400 naming the parameter, instead of a 500 or a silent guess.

import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../../core/errors.js';
import { addRequestCheck } from './request-checks.js';

const CODE = 'ERR_MALFORMED_REQUEST';

export function checkQueryStrings(app: FastifyInstance): void {
  addRequestCheck(app, (request) => {
    const url = request.raw.url ?? '';
    const start = url.indexOf('?');
    if (start >= 0) checkQuery(url.slice(start + 1));
    // Without a query string there is nothing to check.
  }, (raw) => raw.url === undefined || !raw.url.includes('?'));
}

/** Throws InvalidRequestError naming the first parameter that is repeated or not decodable. */
export function checkQuery(query: string): void {
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? '' : pair.slice(equals + 1);
    const name = decode(rawName, undefined);
    decode(rawValue, name);
    if (seen.has(name)) {
      throw new InvalidRequestError(CODE, `the query parameter "${shown(name)}" is given more than once; give it once`, name);
    }
    seen.add(name);
  }
}

function decode(text: string, name: string | undefined): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    const what = name === undefined ? `the query parameter name "${shown(text)}"` : `the query parameter "${shown(name)}"`;
    throw new InvalidRequestError(
      CODE,
      `${what} is not valid percent-encoding of UTF-8 text; encode the value with encodeURIComponent (a literal % is %25)`,
      name ?? 'query',
    );
  }
}

function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 80);
}
