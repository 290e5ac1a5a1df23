// jobHandler(): for apps with an inbound port, the callback Duetime (and Dapr) makes,
// POST {appUrl}/job/{name}, routed to a handler by job name. Works as a node:http request
// listener, an express route or middleware, and a fastify route handler (see docs/sdk.md).
// 200 when the handler resolves, 500 (Duetime retries per the failure policy) when it throws,
// 404 when no handler matches (Duetime counts a 404 as done and never retries it).

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { JobHandlerFunction, JobHandlers, JobTrigger } from './job-trigger.js';

export interface JobHandlerOptions {
  /** For job names without a handler of their own. */
  fallback?: JobHandlerFunction;
  /** Handler errors (the response is 500 either way). */
  onError?: (error: Error, job: JobTrigger) => void;
}

/**
 * The parts of a request the handler reads: a node:http IncomingMessage, an express request, or
 * a fastify request (whose `raw` is the IncomingMessage and `body` is already parsed).
 */
export interface RequestLike {
  method?: string | undefined;
  url?: string | undefined;
  originalUrl?: string;
  headers: IncomingHttpHeaders;
  body?: unknown;
  params?: unknown;
  raw?: IncomingMessage;
}

/** node:http and express responses, or a fastify reply (its `raw` is the node response). */
export type ResponseLike = ServerResponse | { raw: ServerResponse; hijack(): unknown };

export type JobRequestHandler = (req: RequestLike, res: ResponseLike, next?: (error?: unknown) => void) => Promise<void>;

const JOB_PATH = /\/job\/([^/?#]+)\/?(?:[?#].*)?$/;

export function jobHandler(handlers: JobHandlers, options: JobHandlerOptions = {}): JobRequestHandler {
  return async (req, res, next) => {
    const nodeRes = 'raw' in res ? hijack(res) : res;
    const nodeReq: RequestLike = req.raw ?? req;
    const param = (req.params as { name?: unknown } | undefined)?.name;
    const name = typeof param === 'string' ? param : nameFromUrl(req.originalUrl ?? nodeReq.url ?? '');
    if (name === undefined || nodeReq.method !== 'POST') {
      if (next) return next(); // express middleware: not ours
      return reply(nodeRes, name === undefined ? 404 : 405, name === undefined ? 'not a job callback' : 'use POST');
    }
    const handler = handlers[name] ?? options.fallback;
    if (!handler) return reply(nodeRes, 404, `no handler for job "${name}"`);
    let job: JobTrigger;
    try {
      job = { name, ...(await payloadOf(req, nodeReq)), ...fromHeaders(nodeReq.headers) };
    } catch (error) {
      return reply(nodeRes, 400, `cannot read the request body: ${(error as Error).message}`);
    }
    try {
      await handler(job);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      options.onError?.(err, job);
      return reply(nodeRes, 500, err.message);
    }
    reply(nodeRes, 200, '');
  };
}

function nameFromUrl(url: string): string | undefined {
  const match = JOB_PATH.exec(url);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** The body as JSON data, or raw bytes when it is not JSON. A framework may have parsed it already. */
async function payloadOf(req: RequestLike, nodeReq: RequestLike): Promise<Pick<JobTrigger, 'data' | 'rawData'>> {
  let bytes: Buffer;
  if (req.body !== undefined) {
    if (Buffer.isBuffer(req.body)) bytes = req.body;
    else if (typeof req.body === 'string') bytes = Buffer.from(req.body);
    else return { data: req.body };
  } else {
    const stream = nodeReq as Partial<IncomingMessage>;
    if (stream.readableEnded || typeof stream[Symbol.asyncIterator] !== 'function') return { data: undefined }; // already consumed, no parsed body
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    bytes = Buffer.concat(chunks);
  }
  const text = bytes.toString('utf8').trim();
  if (text === '') return { data: undefined };
  try {
    return { data: JSON.parse(text) };
  } catch {
    return { data: undefined, rawData: { typeUrl: '', value: bytes } };
  }
}

function fromHeaders(headers: IncomingHttpHeaders): Partial<JobTrigger> {
  const one = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const scheduled = one('duetime-scheduled-time');
  const attempt = one('duetime-attempt');
  const triggerId = one('duetime-trigger-id');
  const appId = one('dapr-app-id');
  const traceparent = one('traceparent');
  const tracestate = one('tracestate');
  return {
    ...(scheduled && !Number.isNaN(Date.parse(scheduled)) ? { scheduledTime: new Date(scheduled) } : {}),
    ...(attempt && /^\d+$/.test(attempt) ? { attempt: Number(attempt) } : {}),
    ...(triggerId ? { triggerId } : {}),
    ...(appId ? { appId } : {}),
    ...(traceparent ? { traceparent } : {}),
    ...(traceparent && tracestate ? { tracestate } : {}),
  };
}

function hijack(reply: { raw: ServerResponse; hijack(): unknown }): ServerResponse {
  reply.hijack(); // fastify: we answer on the raw response ourselves
  return reply.raw;
}

function reply(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}
