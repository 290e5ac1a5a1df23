// The schedule route served past Fastify: POST /v1.0/jobs/{name} (and /v1.0-alpha1), the request
// a scheduling client sends at its highest rate. Fastify's routing, its request and reply objects,
// its hook and content-type-parser chains and its reply.send() cost about as much of the main
// thread per schedule as Duetime's own work on the job (docs/benchmarks.md, "where the time
// goes"); here the node:http request is read and answered directly, the way the bare server in
// bench/bare-server.js does, with the same parser, the same JobsService call and the same answers.
//
// The lane takes only the plain request, decided from the headers before the body is read; any
// other goes to Fastify as before, which answers it as it always did:
// - the path is exactly a prefix and a name of printable ASCII without / ? # % ; (nothing for the
//   router to decode or cut; a longer name than the router's maxParamLength is its 404);
// - content-type is exactly application/json and content-length gives 1 to bodyLimit bytes (no
//   chunked body, no 413 to make);
// - every request check (request-checks.ts: the browser guard, the query check, the start gate)
//   says it would do nothing to the request;
// - the server is not closing (Fastify then answers 503).
// Validation, the 4xx answers and their bodies are JobsService's and error-mapping.ts's, as on the
// Fastify path; the 204 is sent when JobsService's promise resolves, after the COMMIT.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { JobsService } from '../../app/jobs-service.js';
import type { JobKey } from '../../core/model/job.js';
import { parseTraceContext } from '../../core/model/trace-context.js';
import { errorAnswer } from './error-mapping.js';
import { identifyByHeaders, type IdentityOptions } from './identity.js';
import { parseJsonBody } from './json-body.js';
import { passesEveryCheck, type CheckList } from './request-checks.js';

/** A schedule request without a trace context (read only: schedule() does not keep it). */
const NO_CONTEXT = Object.freeze({});

export interface ScheduleLaneDeps {
  jobs: JobsService;
  identity: IdentityOptions;
  bodyLimit: number;
  logger: Logger;
  /** The Fastify instance's request checks (request-checks.ts), read on every request. */
  checks: CheckList;
  /** Fastify's router's maxParamLength: a longer name is the router's 404. */
  maxNameLength: number;
}

export interface ScheduleLane {
  /** Serves the request and answers true, or answers false having touched nothing (Fastify's then). */
  take(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on every request goes to Fastify (which answers 503 while closing). */
  close(): void;
}

export function createScheduleLane(deps: ScheduleLaneDeps): ScheduleLane {
  const { jobs, identity, bodyLimit, logger, checks, maxNameLength } = deps;
  let open = true;
  let failed = 0;

  /** The answer Fastify's reply.send() gives after handleError (error-mapping.ts), headers in its order. */
  const answerError = (res: ServerResponse, error: unknown, closeConnection: boolean): void => {
    const answer = errorAnswer(error as Error, bodyLimit);
    if (answer.log) logger[answer.log.level]({ err: error, reqId: `schedule-${(failed += 1)}` }, answer.log.msg);
    const json = JSON.stringify(answer.body);
    const headers: string[] = [];
    // As Fastify does after a body its parser refused (the client may send more of it).
    if (closeConnection) headers.push('connection', 'close');
    if (answer.retryAfterS !== undefined) headers.push('retry-after', String(answer.retryAfterS));
    headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(json)));
    res.writeHead(answer.status, headers);
    res.end(json);
  };

  const schedule = (req: IncomingMessage, res: ServerResponse, name: string, text: string): void => {
    const headers = req.headers;
    let body: unknown;
    try {
      body = parseJsonBody(text, headers['content-type']);
    } catch (error) {
      answerError(res, error, true);
      return;
    }
    let key: JobKey;
    try {
      const { namespace, appId } = identifyByHeaders(headers, identity);
      key = { namespace, appId, name };
    } catch (error) {
      answerError(res, error, false);
      return;
    }
    // A W3C traceparent (and tracestate) is kept with the job and continued on every delivery.
    const trace = parseTraceContext(headers.traceparent, headers.tracestate);
    jobs.schedule(key, body ?? {}, undefined, trace ? { trace } : NO_CONTEXT).then(
      () => {
        res.writeHead(204);
        res.end();
      },
      (error: unknown) => answerError(res, error, false),
    );
  };

  return {
    take(req, res) {
      if (!open || req.method !== 'POST') return false;
      const name = nameOf(req.url, maxNameLength);
      if (name === undefined) return false;
      const headers = req.headers;
      if (headers['content-type'] !== 'application/json' || headers['transfer-encoding'] !== undefined) return false;
      const length = Number(headers['content-length']);
      if (!(length > 0 && length <= bodyLimit)) return false;
      if (!passesEveryCheck(checks, req)) return false;
      // Usually one chunk: a schedule's body is well under a socket read.
      let first: Buffer | undefined;
      let more: Buffer[] | undefined;
      req.on('data', (chunk: Buffer) => {
        if (first === undefined) first = chunk;
        else (more ??= [first]).push(chunk);
      });
      req.on('end', () => {
        const bytes = more ? Buffer.concat(more) : first;
        schedule(req, res, name, bytes ? bytes.toString('utf8') : '');
      });
      return true;
    },
    close() {
      open = false;
    },
  };
}

const PREFIX = '/v1.0';
const JOBS = '/jobs/';
const ALPHA_JOBS = '-alpha1/jobs/';

/** The job name of a schedule path the router would give the route unchanged, else undefined. */
function nameOf(url: string | undefined, maxLength: number): string | undefined {
  if (url === undefined || !url.startsWith(PREFIX)) return undefined;
  const start = url.startsWith(JOBS, PREFIX.length) ? PREFIX.length + JOBS.length : url.startsWith(ALPHA_JOBS, PREFIX.length) ? PREFIX.length + ALPHA_JOBS.length : -1;
  if (start < 0 || url.length === start || url.length - start > maxLength) return undefined;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    // Printable ASCII but / # % ; ? (which the router cuts at or decodes).
    if (c <= 0x20 || c >= 0x7f || c === 0x2f || c === 0x23 || c === 0x25 || c === 0x3b || c === 0x3f) return undefined;
  }
  return url.slice(start);
}
