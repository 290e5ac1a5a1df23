import { Agent, request } from 'undici';
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

export function readHttpBindingConfig(reader: MetadataReader): HttpBindingConfig {
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

  constructor(
    readonly name: string,
    private readonly config: HttpBindingConfig,
    label: string,
  ) {
    super(label);
    // Nothing to connect to up front: healthy until a request cannot reach the server.
    this.health.up();
    this.#agent = new Agent({
      connect: { timeout: config.connectMs },
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

  #urlFor(path: string | undefined): URL {
    if (path === undefined || path === '') return this.config.url;
    const url = new URL(this.config.url);
    url.pathname = `${url.pathname.replace(/\/$/, '')}/${path.replace(/^\//, '')}`;
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
