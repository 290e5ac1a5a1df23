import { Agent, request, type buildConnector } from 'undici';
import type { OutboundPolicy } from '../../../core/model/outbound-policy.js';
import type { BindingRequest, BindingResponse, OutputBinding } from '../../../core/ports/output-binding.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import type { MetadataReader } from '../shared/metadata-reader.js';

/** Dapr's operations for bindings.http; `create` is an alias of `post`. */
const METHOD_OF: Record<string, string> = {
  create: 'POST',
  post: 'POST',
  get: 'GET',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  head: 'HEAD',
  options: 'OPTIONS',
};
export const HTTP_BINDING_OPERATIONS = Object.keys(METHOD_OF);
/** Request metadata that steers the request rather than travelling as a header. */
const CONTROL_KEYS = new Set(['path']);
/**
 * Headers request metadata may not set: hop-by-hop headers (they steer the connection, and a
 * forged Transfer-Encoding or Content-Length smuggles a second request), Host (another virtual
 * host behind the same address), and credentials (Authorization, Cookie: the component's
 * securityToken is the way to send them).
 */
const FORBIDDEN_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'authorization', 'cookie', 'content-length']);

function forbiddenHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_HEADERS.has(lower) || lower.startsWith('proxy-');
}

/**
 * The request's path below the component's base path, resolved: percent-decoded (so %2e%2e is
 * "..") with backslashes read as slashes, as URL parsers do; undefined when a ".." climbs above
 * the base path or the text is not valid percent-encoding.
 */
export function pathBelowBase(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const segments: string[] = [];
  for (const segment of decoded.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments.join('/');
}
/**
 * True for an absolute URL ("http://...", "file:...") or a scheme-relative one ("//host/...",
 * also with backslashes, which URL parsers read as slashes): it names a server, not a path.
 */
function isUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) || /^[\\/]{2}/.test(path);
}

function shorten(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** How much of an error response's body goes into the error message. */
const ERROR_BODY_EXCERPT = 300;

export interface HttpBindingConfig {
  url: URL;
  /** A header added to every request, e.g. Authorization (Dapr's securityToken(Header)). */
  securityToken?: { header: string; value: string };
  /** Throw on a non-2xx answer (Dapr's errorIfNot2XX, default true). */
  errorIfNot2XX: boolean;
  connectMs: number;
  operationMs: number;
}

/**
 * `outbound`: --allow-outbound; a url whose host is an IP address it refuses stops the start here
 * (a host name is judged at every connection, on the address it resolves to).
 */
export function readHttpBindingConfig(reader: MetadataReader, outbound?: OutboundPolicy): HttpBindingConfig {
  const text = reader.requiredString('url', '"http://localhost:8080/api"');
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return reader.fail('url', `is "${text}"; use an absolute http:// or https:// URL`);
  }
  const refused = outbound?.refusalOfUrl(url, `"${url.origin}"`);
  if (refused !== undefined) return reader.fail('url', refused);
  const token = reader.string('securityToken');
  return {
    url,
    ...(token ? { securityToken: { header: reader.string('securityTokenHeader') ?? 'Authorization', value: token } } : {}),
    errorIfNot2XX: reader.boolean('errorIfNot2XX', true),
    ...reader.timeouts({ operation: ['responseTimeout'] }),
  };
}

/**
 * bindings.http output binding, as Dapr's: the operation picks the method (create = POST),
 * request metadata `path` is appended to the component's url, every other request metadata
 * entry is sent as a header, and data goes as JSON. A non-2xx answer throws (unless
 * errorIfNot2XX is "false"); so do a refused connection and a timeout.
 */
export class HttpOutputBinding extends HealthTrackedComponent implements OutputBinding {
  readonly #agent: Agent;

  /**
   * `connector`: opens connections given the connect timeout (main.ts passes one applying the
   * outbound policy, --allow-outbound, to the resolved address); undici's own when absent.
   */
  constructor(
    readonly name: string,
    private readonly config: HttpBindingConfig,
    label: string,
    connector?: (settings: { timeout: number }) => buildConnector.connector,
  ) {
    super(label);
    // Nothing to connect to up front: healthy until a request cannot reach the server.
    this.health.up();
    this.#agent = new Agent({
      connect: connector ? connector({ timeout: config.connectMs }) : { timeout: config.connectMs },
      headersTimeout: config.operationMs,
      bodyTimeout: config.operationMs,
    });
  }

  async invoke(req: BindingRequest): Promise<BindingResponse> {
    this.assertOpen();
    const method = METHOD_OF[req.operation.toLowerCase()];
    if (method === undefined) {
      throw new Error(`${this.health.label}: operation "${req.operation}" is not supported; use one of ${HTTP_BINDING_OPERATIONS.join(', ')}`);
    }
    const refused = this.refusal(req);
    if (refused) throw new Error(`${this.health.label}: request metadata ${refused.key} ${refused.problem}`);
    const url = this.#urlFor(req.metadata.path);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.metadata)) {
      if (!CONTROL_KEYS.has(key)) headers[key.toLowerCase()] = value;
    }
    if (this.config.securityToken) headers[this.config.securityToken.header.toLowerCase()] = this.config.securityToken.value;
    const sendsBody = req.data !== undefined && method !== 'GET' && method !== 'HEAD';
    if (sendsBody) headers['content-type'] ??= 'application/json';

    let status: number;
    let data: unknown;
    try {
      const response = await request(url, {
        method: method as 'POST',
        headers,
        body: sendsBody ? JSON.stringify(req.data) : undefined,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.config.connectMs + this.config.operationMs),
      });
      status = response.statusCode;
      const text = await response.body.text();
      data = parseBody(text, String(response.headers['content-type'] ?? ''));
      this.health.up();
    } catch (err) {
      throw this.failed(`${method} ${url.origin}${url.pathname}`, err, 'down');
    }
    if (this.config.errorIfNot2XX && (status < 200 || status > 299)) {
      const excerpt = typeof data === 'string' ? data : JSON.stringify(data ?? '');
      const message = `${this.health.label}: ${method} ${url.origin}${url.pathname} answered ${status}: ${excerpt.slice(0, ERROR_BODY_EXCERPT)}`;
      this.health.noteError(message);
      throw new Error(message);
    }
    return { status, data };
  }

  /** A path that leaves the base path, or a header metadata may not set: named by its key. */
  refusal(req: Pick<BindingRequest, 'operation' | 'metadata'>): { key: string; problem: string } | undefined {
    for (const key of Object.keys(req.metadata)) {
      if (!CONTROL_KEYS.has(key) && forbiddenHeader(key)) {
        return { key, problem: 'cannot be set from request metadata (hop-by-hop headers, Host, Authorization, Cookie and Content-Length are not); send credentials with the component\'s securityToken and securityTokenHeader' };
      }
    }
    const path = req.metadata.path;
    if (path !== undefined && isUrl(path)) {
      return { key: 'path', problem: `"${shorten(path)}" is not a URL's place: it is a path below the component's base URL ${this.config.url.origin}${this.#basePath() || '/'}; to call another server, give it a component of its own` };
    }
    if (path !== undefined && path !== '' && (pathBelowBase(path) === undefined || !this.#underBase(this.#urlFor(path)))) {
      return { key: 'path', problem: `"${shorten(path)}" leaves the component's base path ${this.#basePath() || '/'}; use a path below it, without ".." segments (percent-encoded ones count too)` };
    }
    return undefined;
  }

  #basePath(): string {
    return this.config.url.pathname.replace(/\/$/, '');
  }

  #underBase(url: URL): boolean {
    const base = this.#basePath();
    return url.pathname === base || url.pathname.startsWith(`${base}/`);
  }

  #urlFor(path: string | undefined): URL {
    if (path === undefined || path === '') return this.config.url;
    const url = new URL(this.config.url);
    url.pathname = `${this.#basePath()}/${path.replace(/^\//, '')}`;
    return url;
  }

  protected async release(): Promise<void> {
    await this.#agent.close();
  }
}

function parseBody(text: string, contentType: string): unknown {
  if (text === '') return undefined;
  if (/\bjson\b/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
