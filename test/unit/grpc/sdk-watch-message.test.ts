// What a listen() handler receives for a WatchJobs trigger message: the fields the message has,
// and no key for those it lacks.

import { describe, expect, it } from 'vitest';
import { encodeValue, VALUE_TYPE_URL } from '../../../packages/sdk/src/protocol/index.js';
import { toJobTrigger } from '../../../packages/sdk/src/watch-message.js';

describe('toJobTrigger', () => {
  it('takes the name, the JSON data, the app and the trace context', () => {
    const trigger = toJobTrigger({
      name: 'job-1',
      id: '7',
      data: { type_url: VALUE_TYPE_URL, value: encodeValue({ a: 1 }) },
      metadata: { appId: 'app', namespace: 'ns', target: { actor: null } },
      traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' },
    });
    expect(trigger).toStrictEqual({ name: 'job-1', data: { a: 1 }, appId: 'app', namespace: 'ns', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' });
  });

  it('keeps another Any as rawData, a copy of its bytes, and names an actor reminder\'s actor', () => {
    const value = Buffer.from([1, 2, 3]);
    const trigger = toJobTrigger({ name: 'r', id: '1', data: { type_url: 'type.example/x', value }, metadata: { appId: 'a', namespace: '', target: { actor: { type: 'T', id: 'i' } } } });
    expect(trigger).toStrictEqual({ name: 'r', data: undefined, rawData: { typeUrl: 'type.example/x', value: Buffer.from([1, 2, 3]) }, appId: 'a', namespace: '', actor: { type: 'T', id: 'i' } });
    expect(trigger.rawData!.value).not.toBe(value);
  });

  it('has no optional keys for a bare message; a tracestate without a traceparent is left out', () => {
    expect(Object.keys(toJobTrigger({ name: 'n', id: '1', data: null, metadata: null, traceContext: { tracestate: 'k=v' } }))).toEqual(['name', 'data']);
  });
});
