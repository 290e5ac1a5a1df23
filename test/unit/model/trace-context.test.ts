import { describe, expect, it } from 'vitest';
import { parentIdOf, parseTraceContext, traceIdOf } from '../../../src/core/model/trace-context.js';
import { dueTrigger } from '../../../src/core/engine/due-trigger.js';
import { spanResultOf } from '../../../src/app/tracing-deliverer.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceContext', () => {
  it('keeps a valid traceparent and its tracestate', () => {
    expect(parseTraceContext(PARENT, 'rojo=00f067aa0ba902b7')).toEqual({ traceparent: PARENT, tracestate: 'rojo=00f067aa0ba902b7' });
    expect(parseTraceContext(` ${PARENT.toUpperCase()} `)).toEqual({ traceparent: PARENT });
    const context = parseTraceContext(PARENT)!;
    expect([traceIdOf(context), parentIdOf(context)]).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7']);
  });

  it('joins repeated tracestate headers and drops an unusable one', () => {
    expect(parseTraceContext([PARENT], ['a=1', 'b=2'])).toEqual({ traceparent: PARENT, tracestate: 'a=1,b=2' });
    expect(parseTraceContext(PARENT, 'x'.repeat(513))).toEqual({ traceparent: PARENT });
    expect(parseTraceContext(PARENT, 'a=\u0001')).toEqual({ traceparent: PARENT });
    expect(parseTraceContext(PARENT, '')).toEqual({ traceparent: PARENT });
  });

  it.each([
    ['absent', undefined],
    ['not a string', 42],
    ['two headers', [PARENT, PARENT]],
    ['too short', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with more fields', `${PARENT}-extra`],
    ['not hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
  ])('ignores a traceparent that is %s', (_label, value) => {
    expect(parseTraceContext(value, 'a=1')).toBeUndefined();
  });

  it('accepts a later version with more fields, as the spec asks', () => {
    expect(parseTraceContext('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later')).toEqual({ traceparent: '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later' });
  });
});

describe('a trigger carries the job\'s trace context', () => {
  const record = {
    def: {
      key: { namespace: 'ns', appId: 'app', name: 'job' },
      uid: 'u1',
      createdAt: 0,
      dueTime: '0s',
      dueAt: 0,
      failurePolicy: { kind: 'drop' as const },
      failurePolicySource: { drop: {} },
      target: { kind: 'app' as const },
      catchUp: 'all' as const,
    },
    progress: { rev: 1, count: 0, attempts: 0, tickAt: 0, nextAt: 0, state: 'active' as const },
  };

  it('copies it from the definition, and has none when the job has none', () => {
    expect(dueTrigger({ ...record, def: { ...record.def, trace: { traceparent: PARENT } } }, 10)?.trigger.trace).toEqual({ traceparent: PARENT });
    expect(dueTrigger(record, 10)?.trigger).not.toHaveProperty('trace');
  });

  it('maps each outcome to a span result', () => {
    expect(spanResultOf({ kind: 'done' })).toEqual({ outcome: 'success' });
    expect(spanResultOf({ kind: 'failed', detail: 'HTTP 500' })).toEqual({ outcome: 'failed', error: true, detail: 'HTTP 500' });
    expect(spanResultOf({ kind: 'staged', detail: 'no endpoint' })).toEqual({ outcome: 'staged', detail: 'no endpoint' });
    expect(spanResultOf({ kind: 'cancel' })).toEqual({ outcome: 'cancel' });
  });
});
