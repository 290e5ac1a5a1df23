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
import { guardBrowsers, type BrowserPolicy } from './browser-guard.js';
import { handleError, errorBody } from './error-mapping.js';
import type { IdentityOptions } from './identity.js';
import { parseJsonBody } from './json-body.js';
import { checkQueryStrings } from './query-check.js';
import { checkListOf } from './request-checks.js';
import { createScheduleLane, type ScheduleLane } from './schedule-lane.js';
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
  /** Deadlines and caps on connections (docs/security.md). */
  edge: HttpEdgeOptions;
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

/** Fastify's router option, which the schedule lane matches (a longer name is the router's 404). */
const MAX_PARAM_LENGTH = 2048;

export function createHttpApi(deps: HttpApiDeps): FastifyInstance {
  const edge = deps.edge;
  // The lane is made below, once the app (whose request checks it reads) exists; the server's
  // handler offers it each request first.
  const front: { lane?: ScheduleLane } = {};
  const app: FastifyInstance = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: deps.bodyLimit, // Per-request log lines cost throughput; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // The server's logger for every request rather than a child made per request (with the
    // redaction main.ts sets, about 2% of the main thread's CPU per schedule, 2026-12-04 perf);
    // the few request log lines (error-mapping.ts) carry the request id themselves.
    childLoggerFactory: (logger) => logger,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      edgeServer((req, res) => {
        if (!front.lane?.take(req, res)) handler(req, res);
      }, edge),
  });
  if (deps.browser) guardBrowsers(app, deps.browser);
  checkQueryStrings(app);
  // JSON routes take JSON (docs/security.md, json-body.ts).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseBody: ContentTypeParser = (request, body, done) => {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'), request.headers['content-type']);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, parsed);
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
  // POST /v1.0/jobs/{name} past Fastify (schedule-lane.ts); the route above still serves every
  // schedule request the lane declines.
  const lane = createScheduleLane({ jobs: deps.jobs, identity: deps.identity, bodyLimit: deps.bodyLimit, logger: deps.logger, checks: checkListOf(app), maxNameLength: MAX_PARAM_LENGTH });
  front.lane = lane;
  // Fastify answers 503 from the moment close() begins (return503OnClosing); the lane then gives
  // every request to it.
  app.addHook('preClose', (done) => {
    lane.close();
    done();
  });
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
