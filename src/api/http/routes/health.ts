import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../../app/readiness.js';
import { openApiDocument } from '../openapi.js';

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness, metrics: Registry): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await readiness.report();
    return reply.status(report.ready ? 200 : 503).send(report);
  });
  app.get('/openapi.json', async () => openApiDocument);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
}
