// WatchJobs acks as HTTP/2 actually carries them, against a real Duetime: a plain node:http2
// client (no grpc-js) that chooses how its acks are cut into DATA frames. The server reads acks
// below grpc-js (src/api/grpc/watch-jobs-ack-reader.ts); whatever the framing, each ack settles
// its own trigger once, and a malformed message ends the stream with nothing behind it settled.

import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeWatchJobsResponse, encodeWatchJobsResult, loadDuetimeProtos } from '@duetime/sdk/protocol';
import type { EngineEvents } from '../../../src/core/events.js';
import { startNode, type Node } from '../support.js';
import { within } from './helpers.js';

const watchJobs = loadDuetimeProtos().schedulerService.WatchJobs!;

function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

const ack = (id: string, status: 'SUCCESS' | 'FAILED' = 'SUCCESS'): Buffer => frame(encodeWatchJobsResult(id, status));

/** One WatchJobs stream over plain HTTP/2; records the triggers and the grpc-status (ended: once it came). */
class RawWatch {
  readonly triggers: Array<{ id: string; name: string }> = [];
  grpcStatus: number | undefined;
  readonly accepted: Promise<void>;
  readonly ended: Promise<void>;
  private readonly session: ClientHttp2Session;
  private readonly stream: ClientHttp2Stream;
  private rest = Buffer.alloc(0);

  constructor(port: number, appId: string) {
    this.session = connect(`http://127.0.0.1:${port}`);
    this.stream = this.session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/dapr.proto.scheduler.v1.Scheduler/WatchJobs',
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [constants.HTTP2_HEADER_TE]: 'trailers',
    });
    this.accepted = new Promise((resolve) => this.stream.once('response', () => resolve()));
    let ended!: () => void;
    this.ended = new Promise((resolve) => (ended = resolve));
    this.stream.once('close', () => ended());
    const takeStatus = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] === undefined) return;
      this.grpcStatus = Number(headers['grpc-status']);
      ended();
    };
    this.stream.on('response', takeStatus);
    this.stream.on('trailers', takeStatus);
    this.stream.on('data', (chunk: Buffer) => {
      let bytes = Buffer.concat([this.rest, chunk]);
      while (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt32BE(1)) {
        const end = 5 + bytes.readUInt32BE(1);
        const trigger = decodeWatchJobsResponse(bytes.subarray(5, end));
        this.triggers.push({ id: trigger.id, name: trigger.name });
        bytes = bytes.subarray(end);
      }
      this.rest = Buffer.from(bytes);
    });
    this.stream.on('error', () => {});
    this.stream.write(frame(watchJobs.requestSerialize({ initial: { appId, namespace: 'default', acceptJobTypes: ['JOB_TARGET_TYPE_JOB'] } })));
  }

  /** One write: one DATA frame on an idle connection. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.stream.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  idOf(name: string): string {
    const trigger = this.triggers.find((t) => t.name === name);
    if (!trigger) throw new Error(`no trigger for ${name}`);
    return trigger.id;
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }
}

let node: Node;
const open: RawWatch[] = [];

beforeAll(async () => {
  node = await startNode(); // delivery timeout 30 s: no trigger times out during a test
});
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});
afterAll(async () => {
  await node?.close();
});

async function watch(appId: string): Promise<RawWatch> {
  const w = new RawWatch(node.duetime.schedulerPort, appId);
  open.push(w);
  await within(w.accepted, 10_000, 'the accepted headers');
  return w;
}

async function scheduleNow(appId: string, names: string[]): Promise<void> {
  for (const name of names) {
    const res = await node.call('POST', `/v1.0/jobs/${name}`, { dueTime: new Date().toISOString() }, { 'dapr-app-id': appId });
    expect(res.status).toBe(204);
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every 'attempted' outcome of the app's triggers, by job name. */
function outcomesOf(appId: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  node.duetime.engine.events.on('attempted', (e: EngineEvents['attempted']) => {
    if (e.trigger.key.appId !== appId) return;
    seen.set(e.trigger.key.name, [...(seen.get(e.trigger.key.name) ?? []), e.outcome]);
  });
  return seen;
}

describe('WatchJobs acks however HTTP/2 frames them', () => {
  it('the acks of several triggers in one DATA frame each settle their own trigger', async () => {
    const outcomes = outcomesOf('packed');
    const w = await watch('packed');
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    await scheduleNow('packed', names);
    await until(() => w.triggers.length === 5, 'five triggers');
    await w.write(Buffer.concat(names.map((name) => ack(w.idOf(name), name === 'p3' ? 'FAILED' : 'SUCCESS'))));
    await until(() => outcomes.size === 5, 'five outcomes');
    expect(Object.fromEntries(outcomes)).toEqual({ p1: ['success'], p2: ['success'], p3: ['failed'], p4: ['success'], p5: ['success'] });
  });

  it('an ack split across DATA frames settles its trigger once it is whole, and only then', async () => {
    const outcomes = outcomesOf('split');
    const w = await watch('split');
    await scheduleNow('split', ['s1']);
    await until(() => w.triggers.length === 1, 'the trigger');
    const bytes = ack(w.idOf('s1'));
    await w.write(bytes.subarray(0, 3)); // inside the 5-byte header
    await new Promise((r) => setTimeout(r, 100));
    await w.write(bytes.subarray(3, 6));
    await new Promise((r) => setTimeout(r, 100));
    expect(outcomes.size).toBe(0);
    await w.write(bytes.subarray(6));
    await until(() => outcomes.size === 1, 'the outcome');
    expect(outcomes.get('s1')).toEqual(['success']);
  });

  it('a malformed message ends the stream with INVALID_ARGUMENT; an ack behind it in the same frame settles nothing and its trigger is redelivered', async () => {
    const outcomes = outcomesOf('broken');
    const w = await watch('broken');
    await scheduleNow('broken', ['b1', 'b2']);
    await until(() => w.triggers.length === 2, 'two triggers');
    const malformed = frame(Buffer.from([0x12, 0x05, 0xff])); // a result whose length runs past the message
    await w.write(Buffer.concat([ack(w.idOf('b1')), malformed, ack(w.idOf('b2'))]));
    await within(w.ended, 10_000, 'the stream to end');
    expect(w.grpcStatus).toBe(3); // INVALID_ARGUMENT
    w.close(); // as a gRPC client does once it has the status: the server's stream closes
    await until(() => outcomes.has('b1'), "b1's outcome");
    expect(outcomes.get('b1')).toEqual(['success']);
    // The stream's end hands b2 back: with no other consumer of the app it is staged.
    await until(() => outcomes.has('b2'), "b2's return");
    expect(outcomes.get('b2')).toEqual(['staged']);
    // Connecting releases what is staged in the store, or, when it connects while the staged row
    // is being committed, the engine's 'staged' event does, once the job is unlocked.
    const again = await watch('broken');
    await until(() => again.triggers.some((t) => t.name === 'b2'), 'b2 redelivered');
    expect(again.triggers.map((t) => t.name)).toEqual(['b2']);
    await again.write(ack(again.idOf('b2')));
    await until(() => outcomes.get('b2')!.length === 2, "b2's second outcome");
    expect(outcomes.get('b2')).toEqual(['staged', 'success']);
  });

  it('a stream refused for a malformed message unregisters its consumer even if the client keeps its side open: a later trigger is staged, not sent into the dead stream', async () => {
    const outcomes = outcomesOf('refused');
    const w = await watch('refused');
    await w.write(frame(Buffer.from([0x12, 0x05, 0xff])));
    await within(w.ended, 10_000, 'the stream to end');
    expect(w.grpcStatus).toBe(3);
    // The client does not close its half (a broken or hostile client need not).
    await scheduleNow('refused', ['r1']);
    // Sent to the refused stream, it would wait there for the 30 s delivery timeout.
    await until(() => outcomes.has('r1'), "r1's outcome");
    expect(outcomes.get('r1')).toEqual(['staged']);
    expect(w.triggers).toEqual([]);
  });

  it('a stream refused by grpc-js itself (a message over the receive limit) unregisters its consumer too', async () => {
    const outcomes = outcomesOf('oversized');
    const w = await watch('oversized');
    const header = Buffer.alloc(5);
    header.writeUInt32BE(64 * 1024 * 1024, 1); // declares 64 MiB, over any receive limit
    await w.write(Buffer.concat([header, Buffer.alloc(16)]));
    await within(w.ended, 10_000, 'the stream to end');
    expect(w.grpcStatus).toBe(8); // RESOURCE_EXHAUSTED
    await scheduleNow('oversized', ['o1']);
    await until(() => outcomes.has('o1'), "o1's outcome");
    expect(outcomes.get('o1')).toEqual(['staged']);
    expect(w.triggers).toEqual([]);
  });
});
