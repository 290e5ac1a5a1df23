// Dapr's Jobs API routes (SPEC 4) and Duetime's extensions. /v1.0-alpha1 is an alias of /v1.0.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../../../core/errors.js';
import type { JobKey } from '../../../core/model/job.js';
import { parseTraceContext } from '../../../core/model/trace-context.js';
import type { JobsService } from '../../../app/jobs-service.js';
import { identify, type IdentityOptions } from '../identity.js';

const PREFIXES = ['/v1.0', '/v1.0-alpha1'];
/** A schedule request without a trace context (read only: schedule() does not keep it). */
const NO_CONTEXT = Object.freeze({});

interface NameParams {
  name: string;
}
interface ListQuery {
  prefix?: string;
  limit?: string;
  cursor?: string;
}

export function registerJobRoutes(app: FastifyInstance, jobs: JobsService, identity: IdentityOptions): void {
  // Only the key's three parts: the caller also says whether a token bound it, which is no part
  // of the job (spread in, it was stored with every job).
  const keyOf = (request: FastifyRequest<{ Params: NameParams }>): JobKey => {
    const { namespace, appId } = identify(request, identity);
    return { namespace, appId, name: request.params.name };
  };

  for (const base of PREFIXES) {
    // Not an async handler: Fastify follows an async handler's promise with one more of its own,
    // and this route runs once per schedule (the scheduling bench's path). A throw here (the
    // caller's identity) and a rejection both reach the error handler, as from an async handler.
    app.post<{ Params: NameParams }>(`${base}/jobs/:name`, (request, reply) => {
      // A W3C traceparent (and tracestate) is kept with the job and continued on every delivery.
      const trace = parseTraceContext(request.headers.traceparent, request.headers.tracestate);
      jobs.schedule(keyOf(request), request.body ?? {}, undefined, trace ? { trace } : NO_CONTEXT).then(
        () => void reply.status(204).send(),
        (error: unknown) => void reply.send(error),
      );
    });
    app.get<{ Params: NameParams }>(`${base}/jobs/:name`, async (request) => jobs.get(keyOf(request)));
    app.delete<{ Params: NameParams }>(`${base}/jobs/:name`, async (request, reply) => {
      await jobs.delete(keyOf(request));
      return reply.status(204).send();
    });

    app.get<{ Querystring: ListQuery }>(`${base}/jobs`, async (request) => {
      const caller = identify(request, identity);
      const { prefix, limit, cursor } = request.query;
      return jobs.list(caller.namespace, caller.appId, {
        ...(prefix !== undefined ? { prefix } : {}),
        ...(limit !== undefined ? { limit: parseLimit(limit) } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
    });
    app.delete<{ Querystring: ListQuery }>(`${base}/jobs`, async (request) => {
      const caller = identify(request, identity);
      // Deleting every job takes `prefix=` on purpose: a bare DELETE /v1.0/jobs (a path cut short,
      // a client that dropped an empty parameter) must not empty the app.
      const { prefix } = request.query;
      if (prefix === undefined) {
        throw new InvalidRequestError(
          'DAPR_SCHEDULER_DELETE_JOB',
          'prefix is required: DELETE /v1.0/jobs?prefix=<start of the names> deletes the jobs whose names start with it; send prefix= (empty) to delete every job of the app',
          'prefix',
        );
      }
      const deleted = await jobs.deleteByPrefix(caller.namespace, caller.appId, prefix);
      return { deleted };
    });

    app.post<{ Params: NameParams }>(`${base}/jobs/:name/pause`, async (request) => jobs.pause(keyOf(request)));
    app.post<{ Params: NameParams }>(`${base}/jobs/:name/resume`, async (request) => jobs.resume(keyOf(request)));
    app.post<{ Params: NameParams }>(`${base}/jobs/:name/trigger`, async (request) => jobs.trigger(keyOf(request)));
    app.get<{ Params: NameParams; Querystring: { limit?: string } }>(`${base}/jobs/:name/history`, async (request) => {
      const limit = request.query.limit === undefined ? undefined : parseLimit(request.query.limit);
      return { history: await jobs.history(keyOf(request), limit) };
    });
  }
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidRequestError('DAPR_SCHEDULER_LIST_JOBS', `limit "${text}" must be a whole number >= 1`, 'limit');
  }
  return limit;
}
