import { InvalidRequestError } from '../errors.js';

export const MAX_NAME_LENGTH = 512;

// Characters that would break a URL path segment or a store key, and control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f]/;

/** Checks a job name (or app id, namespace) against SPEC 2's rules. */
export function validateName(name: string, what: 'job name' | 'app id' | 'namespace' | 'prefix' = 'job name'): string {
  const field = what === 'job name' ? 'name' : what;
  if (what !== 'prefix' && name.trim() === '') {
    throw new InvalidRequestError('DAPR_SCHEDULER_JOB_NAME_EMPTY', `${what} is empty; give a non-blank ${what}`, field);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidRequestError('DAPR_SCHEDULER_JOB_NAME', `${what} is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`, field);
  }
  if (FORBIDDEN.test(name)) {
    throw new InvalidRequestError('DAPR_SCHEDULER_JOB_NAME', `${what} "${printable(name)}" contains / \\ # ? or a control character; remove them`, field);
  }
  if (what !== 'prefix' && (name === '.' || name === '..')) {
    throw new InvalidRequestError('DAPR_SCHEDULER_JOB_NAME', `${what} cannot be "." or ".."`, field);
  }
  return name;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 80);
}
