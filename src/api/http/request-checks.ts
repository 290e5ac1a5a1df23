// The checks every request passes before routing (the browser guard, the query check, the start
// gate), run by ONE synchronous onRequest hook. Fastify runs each hook through its hook runner,
// and an async hook costs a promise and a microtask besides: three hooks (two of them async) cost
// a schedule about 2 µs of the ~40 µs the main thread spends on it (2026-12-04 profile of the
// throughput bench). Here a request that passes every check costs one hook and no promise.

import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Nothing to let the request go on; a promise to make it wait (it goes on when the promise
 * resolves, and fails with its error when it rejects). A check may answer the request itself
 * (reply.send): the later checks and the route then do not run. A throw is the request's error.
 */
export type RequestCheck = (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

/**
 * True only when the check, given this request, would do nothing at all: no answer, no header,
 * no wait, no throw. The schedule lane (schedule-lane.ts), which serves its requests without
 * Fastify, takes a request only when every check's pass says so; a check without one keeps every
 * request on Fastify's path.
 */
export type RawPass = (raw: IncomingMessage) => boolean;

/** The checks of one Fastify instance, in order, with their passes. */
export interface CheckList {
  readonly checks: RequestCheck[];
  readonly passes: (RawPass | undefined)[];
}

const lists = new WeakMap<FastifyInstance, CheckList>();

/** The app's checks (empty until the first is added); the same object as later checks are added. */
export function checkListOf(app: FastifyInstance): CheckList {
  let list = lists.get(app);
  if (!list) {
    list = { checks: [], passes: [] };
    lists.set(app, list);
  }
  return list;
}

/** Adds a check after those already added; the first call adds the hook. Call before listening. */
export function addRequestCheck(app: FastifyInstance, check: RequestCheck, pass?: RawPass): void {
  const list = checkListOf(app);
  list.checks.push(check);
  list.passes.push(pass);
  if (list.checks.length > 1) return;
  const checks = list.checks;
  // Named: the schedule lane's test finds it among the schedule route's hooks (printRoutes).
  app.addHook('onRequest', function runRequestChecks(request, reply, done) {
    runChecks(checks, 0, request, reply, done);
  });
}

/** Whether every check of the list would let this request through untouched (RawPass). */
export function passesEveryCheck(list: CheckList, raw: IncomingMessage): boolean {
  const passes = list.passes;
  for (let i = 0; i < passes.length; i++) {
    const pass = passes[i];
    if (pass === undefined || !pass(raw)) return false;
  }
  return true;
}

function runChecks(checks: readonly RequestCheck[], from: number, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  for (let i = from; i < checks.length; i++) {
    let waiting: void | Promise<void>;
    try {
      waiting = checks[i]!(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    // Answered by the check: a callback hook that sent the reply must not call done.
    if (reply.sent) return;
    if (waiting !== undefined) {
      waiting.then(
        () => (reply.sent ? undefined : runChecks(checks, i + 1, request, reply, done)),
        (error: unknown) => done(error as Error),
      );
      return;
    }
  }
  done();
}
