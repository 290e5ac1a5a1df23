// A request body as JSON, the one parser of every JSON route (http-server.ts registers it with
// Fastify; the schedule lane calls it directly). The errors carry the HTTP status the error
// handler answers with (error-mapping.ts).

import { isJsonContentType } from './browser-guard.js';

export type BodyError = Error & { statusCode?: number };

/**
 * The body's JSON, or undefined for an empty (or all-whitespace) body, whatever its type: routes
 * that need none (pause, trigger, DELETE) take it. A body of another type than JSON is a 415, so a
 * web page's "simple" cross-site POST (text/plain, a form) cannot be read as a job; JSON that does
 * not parse is a 400.
 */
export function parseJsonBody(text: string, contentType: string | undefined): unknown {
  // trim() copies the body: skipped when the first character is printable ASCII (any JSON
  // object or array), which no all-whitespace body starts with.
  const first = text.charCodeAt(0);
  if (text === '' || ((first <= 0x20 || first >= 0x7f) && text.trim() === '')) return undefined;
  if (!isJsonContentType(contentType)) {
    const err: BodyError = new Error(`the body must be JSON sent with content-type: application/json (got ${contentType ? `"${contentType.slice(0, 100)}"` : 'no content-type'})`);
    err.statusCode = 415;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const err = error as BodyError;
    err.statusCode = 400;
    // A parser that recurses runs out of stack on JSON nested thousands deep: still the caller's 400.
    err.message = error instanceof RangeError ? 'the body is nested too deep to parse; job data may be nested at most --max-data-depth levels' : `the body is not valid JSON (${err.message})`;
    throw err;
  }
}
