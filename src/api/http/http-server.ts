import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { AppRegistry } from '../../app/app-registry.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import type { Readiness } from '../../app/readiness.js';
import type { PublishService } from '../../app/targets/publish-service.js';
import { handleError, errorBody } from './error-mapping.js';
import type { IdentityOptions } from './identity.js';
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
}

export interface RouteEntry {
  method: string;
  url: string;
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route the API registered (for the OpenAPI completeness test). */
export function registeredRoutes(app: FastifyInstance): RouteEntry[] {
  return routeTables.get(app) ?? [];
}

export function createHttpApi(deps: HttpApiDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: deps.bodyLimit, // Per-request log lines cost throughput; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 2048 } });
  // Clients (curl -d, some SDKs) send JSON without content-type: parse any body as JSON.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const err = error as Error & { statusCode?: number };
      err.statusCode = 400;
      err.message = `the body is not valid JSON (${err.message})`;
      done(err, undefined);
    }
  });
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
  registerAppRoutes(app, deps.apps, deps.identity);
  if (deps.publish) registerPublishRoutes(app, deps.publish, deps.identity);
  registerHealthRoutes(app, deps.readiness, deps.metrics);
  return app;
}
