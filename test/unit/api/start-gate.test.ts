// Ports before work: between the bind and the engine's start, API requests wait for the start
// (the engine must not hear of a job before it runs) while the probes answer at once; a failed
// start answers the waiting requests 503. A real Fastify with the production hook and handler.

import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { handleError } from '../../../src/api/http/error-mapping.js';
import { gateUntilStarted } from '../../../src/api/http/start-gate-hook.js';
import { StartGate } from '../../../src/app/start-gate.js';

function server(gate: StartGate) {
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  app.get('/readyz', async () => ({ ready: false }));
  app.post('/v1.0/jobs/:name', async () => ({ done: true }));
  gateUntilStarted(app, gate); // after the routes, as in main.ts
  return app;
}

const settledWithin = (promise: Promise<unknown>, ms: number) => Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), ms))]);

describe('the start gate', () => {
  it('holds API requests until the engine has started; probes pass at once', async () => {
    const gate = new StartGate();
    const app = server(gate);
    const held = app.inject({ method: 'POST', url: '/v1.0/jobs/a' });
    expect((await app.inject({ method: 'GET', url: '/readyz?verbose=1' })).statusCode).toBe(200);
    expect(await settledWithin(held, 100)).toBe(false);
    gate.open();
    expect((await held).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1.0/jobs/b' })).statusCode).toBe(200);
    await app.close();
  });

  it('answers the waiting requests 503 when the start fails', async () => {
    const gate = new StartGate();
    const app = server(gate);
    const held = app.inject({ method: 'POST', url: '/v1.0/jobs/a' });
    expect(await settledWithin(held, 50)).toBe(false);
    gate.fail(new Error('port taken'));
    const res = await held;
    expect(res.statusCode).toBe(503);
    expect(res.json<{ errorCode: string }>().errorCode).toBe('ERR_NOT_READY');
    await app.close();
  });
});
