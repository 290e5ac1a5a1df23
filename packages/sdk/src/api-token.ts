// The API token the SDK presents: a string, fixed, or a function asked again each time one is
// needed. listen() asks at each (re)connect of a WatchJobs stream and each (re)open of
// WatchHosts; DuetimeClient and DuetimeGrpcClient for each request (each round of addresses,
// again after a 429's wait). A server's tokens can be rotated while it runs (SIGHUP); with a
// string a worker then retries its revoked token for good, and a long-running client fails every
// request, until they are made again with the new one, while a function that reads the token
// from a file or a secret store hands over the new one at the next try.
//
// gRPC metadata carries one line of printable ASCII, and grpc-js refuses anything else with a
// message that quotes the value; fetch (undici) refuses a line break inside a header value the
// same way, quoting it, and silently trims one at either end. So a token is checked here first,
// against gRPC's rule for every client (one token then works with all of them or with none), and
// refused without being shown.

/**
 * Answers the token to present now; `undefined` (or `''`) sends none. It may return a promise
 * (a secret store's read). When it throws, rejects, or answers neither a string nor undefined,
 * or a token a header cannot carry, listen() reports that to `onError` and asks again after the
 * reconnect backoff, and a client's request fails with it, unsent; the error never shows the token.
 */
export type ApiTokenFunction = () => string | undefined | Promise<string | undefined>;

/** The `apiToken` of listen(), DuetimeClient and DuetimeGrpcClient: the token, fixed for the object's life, or a function asked again at each reconnect (listen()) or request (the clients). */
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
 * The token for one request of a client: what withApiToken reads, as a promise that rejects with
 * what went wrong (worded as for `onError`, never showing the token).
 */
export function readApiToken(option: ApiTokenOption | undefined): Promise<string | undefined> {
  return new Promise((resolve, reject) => withApiToken(option, resolve, reject));
}

/**
 * Checked where the option is given (`caller`: `listen()`, `new DuetimeClient()`...): from plain
 * JavaScript neither a string nor a function is a mistake to name at once, and so is a string a
 * header cannot carry.
 */
export function checkApiTokenOption(option: unknown, caller: string): void {
  if (typeof option === 'string' && !headerSafe(option)) throw new TypeError(`${caller}: options.apiToken ${NOT_HEADER_SAFE}`);
  if (option === undefined || typeof option === 'string' || typeof option === 'function') return;
  throw new TypeError(`${caller}: options.apiToken must be a string or a function returning one (or a promise of one), not ${describe(option)}`);
}

/** Said of a token that is not one line of printable ASCII, without showing it. */
const NOT_HEADER_SAFE = 'holds a character a header cannot carry (a line break, say: a token file read with its trailing newline); trim it';

/** gRPC metadata values (and so dapr-api-token) are printable ASCII: anything else fails the call. HTTP is held to the same rule. */
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
