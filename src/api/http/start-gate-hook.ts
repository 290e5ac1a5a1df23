// Requests that arrive after the HTTP port is bound but before the engine has started wait for
// it (app/start-gate.ts); the probes answer at once (/readyz says "starting" meanwhile). A start
// that fails answers the waiting requests 503.

import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../../core/errors.js';
import type { StartGate } from '../../app/start-gate.js';
import { addRequestCheck } from './request-checks.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Adds the check (request-checks.ts); call before the server listens. */
export function gateUntilStarted(http: FastifyInstance, gate: StartGate): void {
  addRequestCheck(http, (request) => {
    if (gate.isOpen || PROBES.has(request.url.split('?', 1)[0]!)) return undefined;
    return gate.whenOpen().catch(() => {
      throw new UnavailableError('ERR_NOT_READY', 'the server failed to start; retry against another replica or after the restart');
    });
  }, () => gate.isOpen);
}
