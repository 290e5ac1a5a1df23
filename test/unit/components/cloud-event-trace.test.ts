// The CloudEvents distributed tracing extension: a published trigger carries its trace context.

import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../src/adapters/components/shared/cloud-event.js';

const base = { topic: 'due', data: { n: 1 }, metadata: {}, id: 'trigger-1', source: 'orders' };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('CloudEvent trace attributes', () => {
  it('carries traceparent (and Dapr\'s traceid) and tracestate when the trigger has them', () => {
    const event = JSON.parse(encodeMessage({ ...base, traceparent: TRACEPARENT, tracestate: 'rojo=1' }, 'bus').body.toString());
    expect(event).toMatchObject({ traceparent: TRACEPARENT, traceid: TRACEPARENT, tracestate: 'rojo=1' });
  });

  it('has none of them when the trigger has no trace context', () => {
    const event = JSON.parse(encodeMessage(base, 'bus').body.toString());
    expect(event).not.toHaveProperty('traceparent');
    expect(event).not.toHaveProperty('tracestate');
  });
});
