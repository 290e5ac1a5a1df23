// Requests that arrive after the HTTP port is bound but before the engine has started wait for
// it (app/start-gate.ts); the probes answer at once (/readyz says "starting" meanwhile). A start
// that fails answers the waiting requests 503.

import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../../core/errors.js';
import type { StartGate } from '../../app/start-gate.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Adds the hook; call before the server listens. */
export function gateUntilStarted(http: FastifyInstance, gate: StartGate): void {
  http.addHook('onRequest', (request, _reply, done) => {
    if (gate.isOpen || PROBES.has(request.url.split('?', 1)[0]!)) {
      done();
      return;
    }
    gate.whenOpen().then(
      () => done(),
      () => done(new UnavailableError('ERR_NOT_READY', 'the server failed to start; retry against another replica or after the restart')),
    );
  });
}
