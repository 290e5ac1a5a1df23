// The API token listen() presents: a string, fixed, or a function asked again at each (re)connect
// of a WatchJobs stream and each (re)open of WatchHosts. A server's tokens can be rotated while it
// runs (SIGHUP); with a string a worker then retries its revoked token for good and needs a
// restart, while a function that reads the token from a file or a secret store hands the stream
// the new token at its next reconnect.

/**
 * Answers the token to present now; `undefined` (or `''`) sends none. It may return a promise
 * (a secret store's read). A function that throws, rejects, or answers something else than a
 * string is reported to `onError` and asked again after the reconnect backoff.
 */
export type ApiTokenFunction = () => string | undefined | Promise<string | undefined>;

/** listen()'s `apiToken`: the token, fixed for the listener's life, or a function asked again at each reconnect. */
export type ApiTokenOption = string | ApiTokenFunction;

/**
 * Reads the token for one call and hands it to `use`: at once for a string or a function that
 * answers at once (no turn of the event loop, as before functions were accepted), else when its
 * promise settles. `failed` gets what went wrong, worded for `onError`; never the token, since
 * the message names only its type.
 */
export function withApiToken(option: ApiTokenOption | undefined, use: (token: string | undefined) => void, failed: (error: Error) => void): void {
  if (typeof option !== 'function') {
    use(option || undefined);
    return;
  }
  let answered: unknown;
  try {
    answered = option();
  } catch (error) {
    failed(functionFailed(error));
    return;
  }
  if (!isThenable(answered)) {
    checked(answered, use, failed);
    return;
  }
  Promise.resolve(answered).then(
    (token) => checked(token, use, failed),
    (error: unknown) => failed(functionFailed(error)),
  );
}

/**
 * Checked at listen(): from plain JavaScript neither a string nor a function is a mistake to name
 * at once, and so is a string a header cannot carry.
 */
export function checkApiTokenOption(option: unknown): void {
  if (typeof option === 'string' && !headerSafe(option)) throw new TypeError(`listen(): options.apiToken ${NOT_HEADER_SAFE}`);
  if (option === undefined || typeof option === 'string' || typeof option === 'function') return;
  throw new TypeError(`listen(): options.apiToken must be a string or a function returning one (or a promise of one), not ${describe(option)}`);
}

/** Said of a token that is not one line of printable ASCII, without showing it. */
const NOT_HEADER_SAFE = 'holds a character a header cannot carry (a line break, say: a token file read with its trailing newline); trim it';

/** gRPC metadata values (and so dapr-api-token) are printable ASCII: anything else fails the call. */
function headerSafe(token: string): boolean {
  return /^[\x20-\x7e]*$/.test(token);
}

function checked(token: unknown, use: (token: string | undefined) => void, failed: (error: Error) => void): void {
  if (typeof token === 'string' && !headerSafe(token)) {
    failed(new Error(`the apiToken function answered a token that ${NOT_HEADER_SAFE}`));
    return;
  }
  if (token === undefined || token === null || typeof token === 'string') {
    use(token || undefined);
    return;
  }
  failed(new Error(`the apiToken function answered ${describe(token)}; it must answer a string (or undefined for no token)`));
}

function functionFailed(error: unknown): Error {
  return new Error(`the apiToken function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** The kind of a value, never the value: it may be a token. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
