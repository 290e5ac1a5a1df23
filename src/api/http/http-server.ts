import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { AppRegistry } from '../../app/app-registry.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import type { Readiness } from '../../app/readiness.js';
import type { PublishService } from '../../app/targets/publish-service.js';
import type { OutboundPolicy } from '../../core/model/outbound-policy.js';
import { capConnectionsPerClient, tlsServerOptions, type ServerTls } from '../client-connections.js';
import { guardBrowsers, isJsonContentType, type BrowserPolicy } from './browser-guard.js';
import { handleError, errorBody } from './error-mapping.js';
import type { IdentityOptions } from './identity.js';
import { checkQueryStrings } from './query-check.js';
import { registerActorRoutes } from './routes/actors.js';
import { registerAppRoutes } from './routes/apps.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerPublishRoutes } from './routes/publish.js';

export interface HttpApiDeps {
  jobs: JobsService;
  /** Actor reminders (SPEC 6); their routes are served when given. */
  reminders?: RemindersService;
  apps: AppRegistry;
  /** Dapr's publish API with delayed publish (SPEC 5); served when given. */
  publish?: PublishService;
  readiness: Readiness;
  metrics: Registry;
  identity: IdentityOptions;
  logger: Logger;
  /** Largest request body, bytes (Dapr's default: 4 MiB). */
  bodyLimit: number;
  /** Deadlines and caps on connections (docs/security.md); Node's defaults when absent. */
  edge?: HttpEdgeOptions;
  /** Host and Origin checks and CORS (docs/security.md); none when absent. */
  browser?: BrowserPolicy;
  /** --allow-outbound: where registered app URLs may point. @defaultValue the default list (loopback and private ranges) */
  outbound?: OutboundPolicy;
}

export interface HttpEdgeOptions {
  /** The whole request (headers and body) must arrive within this, ms. */
  requestTimeoutMs: number;
  /** A request's headers must arrive within this, ms; also the TLS handshake's deadline. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** How often the two deadlines above are checked, ms. */
  connectionsCheckingIntervalMs: number;
  /** Most connections one client address holds open. */
  maxConnectionsPerClient: number;
  /** Serve HTTPS with this certificate (and require client certificates when it has a CA). */
  tls?: ServerTls;
}

export interface RouteEntry {
  method: string;
  url: string;
}

type ContentTypeParser = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body: unknown) => void) => void;

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route the API registered (for the OpenAPI completeness test). */
export function registeredRoutes(app: FastifyInstance): RouteEntry[] {
  return routeTables.get(app) ?? [];
}

export function createHttpApi(deps: HttpApiDeps): FastifyInstance {
  const edge = deps.edge;
  const app: FastifyInstance = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: deps.bodyLimit, // Per-request log lines cost throughput; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // The server's logger for every request rather than a child made per request (with the
    // redaction main.ts sets, about 2% of the main thread's CPU per schedule, 2026-12-04 perf);
    // the few request log lines (error-mapping.ts) carry the request id themselves.
    childLoggerFactory: (logger) => logger,
    routerOptions: { maxParamLength: 2048 },
    ...(edge ? { serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => edgeServer(handler, edge) } : {}) });
  if (deps.browser) guardBrowsers(app, deps.browser);
  checkQueryStrings(app);
  // JSON routes take JSON (docs/security.md): a body of another type, or none named, is 415, so a
  // web page's "simple" cross-site POST (text/plain, a form) cannot be read as a job. An empty
  // body passes whatever its type, where a route needs none (pause, trigger, DELETE).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseBody: ContentTypeParser = (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // trim() copies the body: skipped when the first character is printable ASCII (any JSON
    // object or array), which no all-whitespace body starts with.
    const first = text.charCodeAt(0);
    if (text === '' || ((first <= 0x20 || first >= 0x7f) && text.trim() === '')) return done(null, undefined);
    const type = request.headers['content-type'];
    if (!isJsonContentType(type)) {
      const err = new Error(`the body must be JSON sent with content-type: application/json (got ${type ? `"${type.slice(0, 100)}"` : 'no content-type'})`) as Error & { statusCode?: number };
      err.statusCode = 415;
      return done(err, undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const err = error as Error & { statusCode?: number };
      err.statusCode = 400;
      // A parser that recurses runs out of stack on JSON nested thousands deep: still the caller's 400.
      err.message = error instanceof RangeError ? 'the body is nested too deep to parse; job data may be nested at most --max-data-depth levels' : `the body is not valid JSON (${err.message})`;
      done(err, undefined);
    }
  };
  app.addContentTypeParser('*', { parseAs: 'string' }, parseBody);
  // The same parser under its usual type as well: Fastify caches the parser it finds for a
  // content-type header, but not a fall back to '*', which it looks up again (parsing the
  // header into a ContentType) on every request: about 1 µs of each schedule.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseBody);
  const routes: RouteEntry[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('ERR_NOT_FOUND', `no route for ${request.method} ${request.url}`));
  });
  registerJobRoutes(app, deps.jobs, deps.identity);
  if (deps.reminders) registerActorRoutes(app, deps.reminders, deps.identity);
  registerAppRoutes(app, deps.apps, deps.identity, deps.outbound);
  if (deps.publish) registerPublishRoutes(app, deps.publish, deps.identity);
  registerHealthRoutes(app, deps.readiness, deps.metrics);
  return app;
}

/**
 * node:http (or https) with the deadlines and the per-address cap. Node checks the request and
 * headers deadlines every connectionsCheckingInterval and closes a connection past either, so a
 * client that sends a request slowly, or nothing at all, holds its socket no longer than them.
 */
function edgeServer(handler: (req: IncomingMessage, res: ServerResponse) => void, edge: HttpEdgeOptions) {
  const timeouts = {
    requestTimeout: edge.requestTimeoutMs,
    headersTimeout: Math.min(edge.headersTimeoutMs, edge.requestTimeoutMs || edge.headersTimeoutMs),
    keepAliveTimeout: edge.keepAliveTimeoutMs,
    connectionsCheckingInterval: edge.connectionsCheckingIntervalMs,
  };
  const server = edge.tls ? createHttpsServer({ ...timeouts, ...tlsServerOptions(edge.tls, edge.headersTimeoutMs) }, handler) : createHttpServer(timeouts, handler);
  capConnectionsPerClient(server, edge.maxConnectionsPerClient);
  return server;
}
