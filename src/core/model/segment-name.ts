// Dapr's rule for a name that becomes one segment of a URL path: a reminder's name and its
// actor's id (Dapr's ValidateName), and here the actor type too, are sent to the actor's app as
// `/actors/{type}/{id}/method/remind/{name}`. A "/" or "\" would add segments, "#" and "?" would
// end the path, a control character has no place in one, and "." or ".." would be resolved
// away (encoding cannot help: %2E is a dot segment to a URL parser), so the call would reach
// another route of the app. Such names are refused when written.

import { InvalidRequestError } from '../errors.js';

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f]/;

/** Why `value` cannot be a path segment, or undefined when it can. */
export function segmentNameProblem(value: string): string | undefined {
  if (value === '.' || value === '..') return `cannot be "${value}"`;
  if (FORBIDDEN.test(value)) return 'contains / \\ # ? or a control character';
  return undefined;
}

/** Throws InvalidRequestError (400 naming `field`) when `value` breaks Dapr's name rule. */
export function checkSegmentName(value: string, what: string, field: string, code: string): void {
  const problem = segmentNameProblem(value);
  if (problem === undefined) return;
  throw new InvalidRequestError(code, `${what} "${shown(value)}" ${problem}, which Dapr refuses: it is sent as one segment of the app's URL path; choose another ${what}`, field);
}

function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 80);
}
