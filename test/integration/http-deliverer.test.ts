// The HTTP deliverer against a real app: the request it sends (SPEC 5) and the outcome it makes
// of each kind of answer, including a body too large to read and a timeout. The rules every
// deliverer shares (a refused connection, no endpoint, idempotency headers) are in
// test/conformance/deliverer.suite.ts, run by test/integration/conformance/deliver-*.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpDeliverer } from '../../src/adapters/deliver-http/http-deliverer.js';
import type { AppEndpoint } from '../../src/core/ports/app-directory.js';
import type { Outcome, Trigger } from '../../src/core/model/trigger.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

const receiver = new RecordingReceiver();
let endpoint: AppEndpoint | undefined;
let deliverer: HttpDeliverer;

beforeAll(async () => {
  await receiver.start();
  deliverer = new HttpDeliverer({ endpoint: () => endpoint }, { timeoutMs: 500 });
});
afterAll(async () => {
  await deliverer.close();
  await receiver.stop();
});

function trigger(name: string, extra: Partial<Trigger> = {}): Trigger {
  return {
    key: { namespace: 'default', appId: 'app', name },
    uid: 'u1',
    triggerId: 'u1-tabc',
    scheduledAt: Date.UTC(2030, 0, 1),
    attempt: 2,
    data: { n: 1 },
    target: { kind: 'app' },
    manual: false,
    ...extra,
  };
}

describe('HttpDeliverer', () => {
  it('POSTs the data as JSON to {url}/job/{name} with the duetime headers and the token', async () => {
    endpoint = { url: `${receiver.url}/base/`, token: 'secret', actorTypes: [] };
    receiver.respond = () => ({ status: 200 });
    const outcome = await deliverer.deliver(trigger('a b/c'));
    expect(outcome).toEqual({ kind: 'done', detail: 'HTTP 200' });
    const got = receiver.received.at(-1)!;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/base/job/a%20b%2Fc');
    expect(got.body).toBe('{"n":1}');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['duetime-scheduled-time']).toBe('2030-01-01T00:00:00.000Z');
    expect(got.headers['duetime-attempt']).toBe('2');
    expect(got.headers['duetime-trigger-id']).toBe('u1-tabc');
    expect(got.headers['dapr-api-token']).toBe('secret');
  });

  it('sends each trigger its own scheduled time, an empty body without data, and raw bytes trimmed', async () => {
    endpoint = { url: receiver.url, actorTypes: [] };
    receiver.respond = () => ({ status: 204 });
    await deliverer.deliver(trigger('t1', { scheduledAt: 1000 }));
    await deliverer.deliver(trigger('t2', { scheduledAt: 2000, data: undefined }));
    await deliverer.deliver(trigger('t3', { scheduledAt: 2000, rawData: { typeUrl: 'x', value: Buffer.from('  raw \n').toString('base64') } }));
    const [t1, t2, t3] = receiver.received.slice(-3);
    expect(t1!.headers['duetime-scheduled-time']).toBe('1970-01-01T00:00:01.000Z');
    expect(t2!.headers['duetime-scheduled-time']).toBe('1970-01-01T00:00:02.000Z');
    expect(t2!.body).toBe('');
    expect(t3!.body).toBe('raw');
    expect(t3!.headers['dapr-api-token']).toBeUndefined();
  });

  it('2xx and 404 are done; any other status failed', async () => {
    endpoint = { url: receiver.url, actorTypes: [] };
    for (const [status, kind] of [[201, 'done'], [404, 'done'], [500, 'failed'], [302, 'failed'], [429, 'failed']] as const) {
      receiver.respond = () => ({ status, body: 'some text' });
      expect(await deliverer.deliver(trigger(`s${status}`))).toEqual({ kind, detail: `HTTP ${status}` });
    }
  });

  it('a response body too large to read still gives its status, and the next delivery works', async () => {
    endpoint = { url: receiver.url, actorTypes: [] };
    receiver.respond = () => ({ status: 200, body: 'x'.repeat(1024 * 1024) });
    expect(await deliverer.deliver(trigger('big'))).toEqual({ kind: 'done', detail: 'HTTP 200' });
    receiver.respond = () => ({ status: 500, body: 'y'.repeat(1024 * 1024) });
    expect(await deliverer.deliver(trigger('big-fail'))).toEqual({ kind: 'failed', detail: 'HTTP 500' });
    receiver.respond = () => ({ status: 200 });
    expect(await deliverer.deliver(trigger('after-big'))).toEqual({ kind: 'done', detail: 'HTTP 200' });
  });

  it('no answer within the timeout is a failed attempt', async () => {
    endpoint = { url: receiver.url, actorTypes: [] };
    receiver.respond = () => ({ status: 200, delayMs: 1_500 });
    const outcome = await deliverer.deliver(trigger('slow'));
    expect(outcome.kind).toBe('failed');
    expect(outcome.detail).toMatch(/^delivery timeout: the attempt did not complete within 500 ms \(no response\)/);
  });
  it('the callback form (deliverTo) hands every kind of outcome to the receiver exactly once', async () => {
    const received: Array<{ name: string; outcome: Outcome }> = [];
    const deliverTo = (name: string): Promise<Outcome> =>
      new Promise((resolve) => {
        deliverer.deliverTo(trigger(name), {
          receive: (outcome) => {
            received.push({ name, outcome });
            resolve(outcome);
          },
        });
      });
    endpoint = { url: receiver.url, token: 'secret', actorTypes: [] };
    receiver.respond = () => ({ status: 200 });
    expect(await deliverTo('cb-ok')).toEqual({ kind: 'done', detail: 'HTTP 200' });
    const got = receiver.received.at(-1)!;
    expect(got.path).toBe('/job/cb-ok');
    expect(got.body).toBe('{"n":1}');
    expect(got.headers['duetime-trigger-id']).toBe('u1-tabc');
    expect(got.headers['dapr-api-token']).toBe('secret');
    receiver.respond = () => ({ status: 500, body: 'y'.repeat(1024 * 1024) });
    expect(await deliverTo('cb-big-fail')).toEqual({ kind: 'failed', detail: 'HTTP 500' });
    receiver.respond = () => ({ status: 200, delayMs: 1_500 });
    expect((await deliverTo('cb-slow')).detail).toMatch(/^delivery timeout: /);
    endpoint = undefined;
    // No endpoint: staged, answered before deliverTo returns.
    let staged: Outcome | undefined;
    deliverer.deliverTo(trigger('cb-none'), { receive: (outcome) => (staged = outcome) });
    expect(staged).toEqual({ kind: 'staged', detail: 'app "app" has no registered endpoint' });
    // The aborted large body and the cancelled slow request answer nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(received.map((r) => r.name)).toEqual(['cb-ok', 'cb-big-fail', 'cb-slow']);
  });
});
