// What every API-speaking command shares: the connection options (--url, --app-id, --namespace,
// --api-token, --json), a plain JSON call for routes the SDK has no method for, the words for
// errors (which URL, what went wrong, what to change), and tables that are coloured only on a
// terminal without NO_COLOR.

import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { DuetimeApiError, DuetimeClient } from '@duetime/sdk/http';

export interface Connection {
  url: string;
  appId?: string;
  namespace?: string;
  apiToken?: string;
  json?: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:3500';
const REQUEST_TIMEOUT_MS = 30_000;

/** The URL the last command spoke to, for the error message if it fails. */
let target: string | undefined;

/** Adds the connection options to a command group; its subcommands' help lists them (showGlobalOptions). */
export function addConnectionOptions(command: Command, options: { appId?: boolean } = {}): Command {
  command.addOption(new Option('--url <url>', 'HTTP API of a Duetime node').env('DUETIME_URL').default(DEFAULT_URL));
  if (options.appId !== false) command.addOption(new Option('--app-id <id>', 'act as this app (dapr-app-id)').env('DUETIME_CLI_APP_ID'));
  command.addOption(new Option('--namespace <ns>', 'namespace (dapr-namespace)').env('DUETIME_CLI_NAMESPACE'));
  command.addOption(new Option('--api-token <token>', 'sent as dapr-api-token').env('DUETIME_API_TOKEN'));
  command.option('--json', 'print JSON instead of tables');
  return command;
}

/** The connection of a group, recorded as the target of error messages. */
export function connectionOf(command: Command): Connection {
  const connection = command.optsWithGlobals<Connection>();
  target = connection.url;
  // Checked here, before any request: fetch's own refusal of such a header quotes its value.
  if (connection.apiToken !== undefined && !HEADER_SAFE.test(connection.apiToken)) {
    throw new Error('--api-token (or DUETIME_API_TOKEN) holds a character a header cannot carry (a line break, say: a token read from a file with its trailing newline); trim it');
  }
  return connection;
}

/** What an HTTP header value (dapr-api-token) may hold: printable ASCII, as the SDK requires. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;

export function sdkClient(connection: Connection): DuetimeClient {
  return new DuetimeClient({
    baseUrl: connection.url,
    ...(connection.appId ? { appId: connection.appId } : {}),
    ...(connection.namespace ? { namespace: connection.namespace } : {}),
    ...(connection.apiToken ? { apiToken: connection.apiToken } : {}),
  });
}

/** The answer of something that is not Duetime's HTTP API (a web page, another service's 404). */
export class NotDuetimeError extends Error {
  constructor(
    readonly status: number,
    readonly what: string,
  ) {
    super(`HTTP ${status}: ${what}`);
    this.name = 'NotDuetimeError';
  }
}

/** Duetime's error answer ({errorCode, message}), with the HTTP status. */
export class ApiAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiAnswerError';
  }
}

/** One JSON call to a route the SDK does not cover; Duetime's errors and foreign answers are told apart. */
export async function callApi(connection: Connection, method: string, path: string, body?: unknown): Promise<unknown> {
  target = connection.url;
  const headers: Record<string, string> = {};
  if (connection.apiToken) headers['dapr-api-token'] = connection.apiToken;
  if (connection.appId) headers['dapr-app-id'] = connection.appId;
  if (connection.namespace) headers['dapr-namespace'] = connection.namespace;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${connection.url.replace(/\/+$/, '')}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new NotDuetimeError(response.status, `${response.headers.get('content-type') ?? 'a body'} that is not JSON`);
  }
  if (!response.ok) {
    const error = parsed as { errorCode?: unknown; message?: unknown } | undefined;
    if (typeof error?.errorCode === 'string' && typeof error.message === 'string') throw new ApiAnswerError(response.status, error.errorCode, error.message);
    throw new NotDuetimeError(response.status, 'no Duetime error body');
  }
  return parsed;
}

/** A JSON answer that lacks what Duetime always sends is not Duetime's. */
export function expectShape<T>(value: unknown, check: (v: Record<string, unknown>) => boolean): T {
  if (typeof value !== 'object' || value === null || !check(value as Record<string, unknown>)) throw new NotDuetimeError(200, 'JSON of another shape');
  return value as T;
}

/** The message a failed command prints: which URL, what happened, what to change. */
export function describeCliError(error: unknown): string {
  // Only the API-speaking commands have a target; `serve` errors already say what to change.
  if (target === undefined) return error instanceof Error ? error.message : String(error);
  const url = target;
  const hint = `check --url / DUETIME_URL (the node's base URL, e.g. ${DEFAULT_URL})`;
  if (error instanceof NotDuetimeError || (error instanceof DuetimeApiError && /^HTTP_\d+$/.test(error.errorCode))) {
    const what = error instanceof NotDuetimeError ? error.message : `HTTP ${error.status} without a Duetime error body`;
    return `${url} does not look like a Duetime HTTP API: it answered ${what}; ${hint}`;
  }
  if (error instanceof SyntaxError) return `${url} does not look like a Duetime HTTP API: it answered with a body that is not JSON; ${hint}`;
  if ((error instanceof DuetimeApiError || error instanceof ApiAnswerError) && error.errorCode === 'ERR_NOT_FOUND' && error.message.startsWith('no route for')) {
    return `${error.message} on ${url}: a Duetime answered, but not at the path expected; ${hint}`;
  }
  const code = error instanceof TypeError ? systemCode(error) : undefined; // fetch's "fetch failed"
  if (code) return `cannot reach Duetime at ${url}: ${REASONS[code] ?? causeMessage(error)} (${code}); is it running there? Otherwise ${hint}`;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer from Duetime at ${url} within ${REQUEST_TIMEOUT_MS / 1000}s; is it overloaded or stopped?`;
  }
  return error instanceof Error ? error.message : String(error);
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused, nothing listens on that port',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection closed before an answer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak TLS (try http://)',
};

/** The system error code under fetch's "fetch failed" (in `cause`, or its AggregateError's first error). */
function systemCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function causeMessage(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Colour only for a person at a terminal who has not asked for none (https://no-color.org). */
export function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** A cli-table3 table, plain unless useColour(). */
export function table(head?: string[]): Table.Table {
  return new Table({ ...(head ? { head } : {}), ...(useColour() ? {} : { style: { head: [], border: [] } }) });
}
