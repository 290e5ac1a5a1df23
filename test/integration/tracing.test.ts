// Tracing against a real Duetime: a caller's W3C traceparent is stored with the job and continued
// on every delivery, and with --otlp-endpoint the spans reach a real OTLP/HTTP receiver (a
// recording HTTP server here that decodes the exporter's JSON): the schedule span, a child of the
// caller's span, and one span per attempt, each a child of the schedule span, whose context is
// the traceparent the app receives.

import { afterEach, describe, expect, it } from 'vitest';
import { listen, type JobListener, type JobTrigger } from '@duetime/sdk';
import { startDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';
import { startNode, type Node } from './support.js';
import { daprRuntimeClient, unary } from './grpc/helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;
const TRACESTATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
}

/** OTLP/JSON ids are hex; a base64 id (as protobuf JSON mapping would give) is turned into hex too. */
function hexId(id: unknown): string {
  if (typeof id !== 'string' || id === '') return '';
  return /^[0-9a-f]+$/.test(id) && (id.length === 32 || id.length === 16) ? id : Buffer.from(id, 'base64').toString('hex');
}

function attributeValue(value: Record<string, unknown>): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('boolValue' in value) return value.boolValue;
  if ('doubleValue' in value) return value.doubleValue;
  return value;
}

/**
 * A real OTLP/HTTP receiver: the tests' recording app, answering every export 200 with an empty
 * JSON body as a collector does; `requests` and `spans` read what it recorded.
 */
class OtlpReceiver extends RecordingReceiver {
  constructor() {
    super();
    this.respond = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
  }

  get requests(): Array<{ path: string; contentType: string | undefined }> {
    return this.received.map((r) => ({ path: r.path, contentType: r.headers['content-type'] }));
  }

  /** Every span of every export, decoded from OTLP's JSON; a body that is not JSON adds none. */
  get spans(): ExportedSpan[] {
    return this.received.flatMap((r) => {
      try {
        return spansOf(JSON.parse(r.body) as Record<string, unknown>);
      } catch {
        return []; // the request is still in `requests`; the assertions on spans say what is missing
      }
    });
  }
}

function spansOf(body: Record<string, unknown>): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const resourceSpans of (body.resourceSpans ?? []) as Array<{ scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>) {
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const attributes: Record<string, unknown> = {};
        for (const a of (span.attributes ?? []) as Array<{ key: string; value: Record<string, unknown> }>) attributes[a.key] = attributeValue(a.value);
        spans.push({
          traceId: hexId(span.traceId),
          spanId: hexId(span.spanId),
          parentSpanId: hexId(span.parentSpanId),
          name: String(span.name),
          kind: Number(span.kind),
          attributes,
          status: (span.status ?? {}) as ExportedSpan['status'],
        });
      }
    }
  }
  return spans;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(config: Parameters<typeof startNode>[0] = {}): Promise<Node> {
  const started = await startNode(config);
  let closed = false;
  const close = started.close.bind(started);
  started.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => started.close());
  return started;
}

async function otlp(): Promise<OtlpReceiver> {
  const receiver = await new OtlpReceiver().start();
  cleanups.push(() => receiver.stop());
  return receiver;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

describe('with --otlp-endpoint', () => {
  it('exports the schedule span and one span per attempt, in the caller\'s trace, and the app receives each attempt\'s context', async () => {
    const collector = await otlp();
    const n = await node({ otlpEndpoint: collector.url });
    let attempts = 0;
    n.receiver.respond = (request) => (request.path.endsWith('/job/traced') && ++attempts === 1 ? { status: 500 } : { status: 200 });
    const res = await n.call(
      'POST',
      '/v1.0-alpha1/jobs/traced',
      { dueTime: '200ms', data: { n: 1 }, failurePolicy: { constant: { interval: '300ms', maxRetries: 3 } } },
      { traceparent: TRACEPARENT, tracestate: TRACESTATE },
    );
    expect(res.status).toBe(204);
    await n.receiver.waitFor(() => n.receiver.forJob('traced').length === 2, 20_000);
    await expect.poll(async () => (await n.call('GET', '/v1.0/jobs/traced')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    // gRPC: the runtime API's ScheduleJob takes the caller's context from call metadata.
    const runtime = daprRuntimeClient(n.duetime.grpcPort);
    const grpcParent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await unary(runtime, 'ScheduleJobAlpha1', { job: { name: 'traced-grpc', schedule: '@every 1h' } }, { 'dapr-app-id': 'app', traceparent: grpcParent });
    runtime.close();
    // Stopping flushes what is buffered.
    await n.close();

    expect(collector.requests.length).toBeGreaterThan(0);
    for (const request of collector.requests) expect(request).toEqual({ path: '/v1/traces', contentType: 'application/json' });
    const ofJob = (name: string) => collector.spans.filter((s) => s.attributes['duetime.job.name'] === name);
    const schedule = ofJob('traced').filter((s) => s.name === 'duetime.schedule');
    expect(schedule).toHaveLength(1);
    expect(schedule[0]).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: CALLER_SPAN,
      kind: SPAN_KIND_SERVER,
      status: { code: STATUS_OK },
      attributes: { 'duetime.job.namespace': 'default', 'duetime.job.app_id': 'app', 'duetime.job.name': 'traced', 'duetime.outcome': 'scheduled' },
    });
    const tries = ofJob('traced')
      .filter((s) => s.name === 'duetime.trigger')
      .sort((a, b) => Number(a.attributes['duetime.trigger.attempt']) - Number(b.attributes['duetime.trigger.attempt']));
    expect(tries).toHaveLength(2);
    const deliveries = n.receiver.forJob('traced');
    const scheduledTime = deliveries[0]!.headers['duetime-scheduled-time'];
    tries.forEach((span, i) => {
      expect(span).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: schedule[0]!.spanId,
        kind: SPAN_KIND_CLIENT,
        status: { code: i === 0 ? STATUS_ERROR : STATUS_OK },
        attributes: {
          'duetime.job.namespace': 'default',
          'duetime.job.app_id': 'app',
          'duetime.job.name': 'traced',
          'duetime.trigger.attempt': i + 1,
          'duetime.trigger.scheduled_time': scheduledTime,
          'duetime.trigger.manual': false,
          'duetime.target.kind': 'app',
          'duetime.outcome': i === 0 ? 'failed' : 'success',
        },
      });
      // The app's request continues the trace: its parent is this attempt's span.
      expect(deliveries[i]!.headers.traceparent).toBe(`00-${TRACE_ID}-${span.spanId}-01`);
      expect(deliveries[i]!.headers.tracestate).toBe(TRACESTATE);
    });
    expect(tries[0]!.status.message).toMatch(/500/);
    expect(new Set([schedule[0]!.spanId, ...tries.map((s) => s.spanId)]).size).toBe(3);

    const grpcSchedule = ofJob('traced-grpc');
    expect(grpcSchedule).toMatchObject([{ name: 'duetime.schedule', traceId: 'a'.repeat(32), parentSpanId: 'b'.repeat(16), kind: SPAN_KIND_SERVER }]);
  });

  it('a job scheduled without a traceparent gets a trace of its own, which its deliveries carry', async () => {
    const collector = await otlp();
    const n = await node({ otlpEndpoint: `${collector.url}/v1/traces` });
    await n.call('POST', '/v1.0/jobs/untraced', { dueTime: '100ms' });
    await n.receiver.waitFor(() => n.receiver.forJob('untraced').length === 1, 20_000);
    const header = String(n.receiver.forJob('untraced')[0]!.headers.traceparent);
    await n.close();
    const [schedule] = collector.spans.filter((s) => s.name === 'duetime.schedule');
    const [attempt] = collector.spans.filter((s) => s.name === 'duetime.trigger');
    expect(schedule!.parentSpanId).toBe('');
    expect(attempt).toMatchObject({ traceId: schedule!.traceId, parentSpanId: schedule!.spanId });
    expect(header).toBe(`00-${schedule!.traceId}-${attempt!.spanId}-01`);
  });
});

describe('a bad --otlp-endpoint', () => {
  it('stops the start, naming the flag and its env twin', async () => {
    await expect(startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: '/nonexistent/never-created', otlpEndpoint: 'ftp://collector:4318' })).rejects.toThrow(
      /--otlp-endpoint \/ DUETIME_OTLP_ENDPOINT "ftp:\/\/collector:4318" is not usable/,
    );
  });
});

describe('without --otlp-endpoint', () => {
  it('exports nothing; deliveries carry the stored traceparent and tracestate as the caller sent them', async () => {
    const collector = await otlp();
    const n = await node();
    await n.call('POST', '/v1.0/jobs/passed-on', { schedule: '@every 200ms', repeats: 2 }, { traceparent: TRACEPARENT, tracestate: TRACESTATE });
    await n.call('POST', '/v1.0/jobs/no-trace', { dueTime: '100ms' });
    // A malformed traceparent is ignored (W3C): the job is scheduled, without a trace.
    expect((await n.call('POST', '/v1.0/jobs/bad-trace', { dueTime: '100ms' }, { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` })).status).toBe(204);
    await n.receiver.waitFor(() => n.receiver.forJob('passed-on').length === 2 && n.receiver.forJob('no-trace').length === 1 && n.receiver.forJob('bad-trace').length === 1, 20_000);
    for (const delivery of n.receiver.forJob('passed-on')) {
      expect(delivery.headers.traceparent).toBe(TRACEPARENT);
      expect(delivery.headers.tracestate).toBe(TRACESTATE);
    }
    for (const name of ['no-trace', 'bad-trace']) expect(n.receiver.forJob(name)[0]!.headers.traceparent).toBeUndefined();
    await n.close();
    expect(collector.requests).toEqual([]);
  });

  it('WatchJobs carries the trace context in the trigger, and listen() hands it to the handler', async () => {
    const n = await node();
    const seen: JobTrigger[] = [];
    const listener: JobListener = listen({ address: `127.0.0.1:${n.duetime.schedulerPort}`, appId: 'worker', handlers: { watched: (job) => void seen.push(job) } });
    cleanups.push(() => listener.close());
    await listener.ready();
    const res = await n.call('POST', '/v1.0/jobs/watched', { dueTime: '100ms' }, { 'dapr-app-id': 'worker', traceparent: TRACEPARENT, tracestate: TRACESTATE });
    expect(res.status).toBe(204);
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(1);
    expect(seen[0]).toMatchObject({ name: 'watched', traceparent: TRACEPARENT, tracestate: TRACESTATE });
  });
});
