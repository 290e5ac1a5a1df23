// The WatchJobs acks read below grpc-js: the in-place decoder against protobufjs (what
// grpc-js's generic path would have made of the same bytes) and decodeWatchJobsResult, and the
// reader's framing however the chunks cut the messages, and its hand-over to grpc-js.

import { describe, expect, it } from 'vitest';
import { decodeWatchJobsResult, encodeWatchJobsResult, loadDuetimeProtos } from '@duetime/sdk/protocol';
import { AckDecoder } from '../../../src/api/grpc/watch-jobs-ack-wire.js';
import { MAX_DIRECT_BYTES, WatchJobsAckReader } from '../../../src/api/grpc/watch-jobs-ack-reader.js';

const watchJobs = loadDuetimeProtos().schedulerService.WatchJobs!;
const theirEncode = (message: object): Buffer => watchJobs.requestSerialize(message);
const theirDecode = (bytes: Buffer): unknown => watchJobs.requestDeserialize(bytes);

function frame(message: Buffer, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

const ack = (id: number, status: 'SUCCESS' | 'FAILED' = 'SUCCESS'): Buffer => encodeWatchJobsResult(String(id), status);

function read(bytes: Buffer): { id: number; failed: boolean } | undefined {
  const decoder = new AckDecoder();
  // Inside a larger buffer, as it is read from a chunk.
  const padded = Buffer.concat([Buffer.from([0xff, 0xff]), bytes, Buffer.from([0x12])]);
  return decoder.read(padded, 2, 2 + bytes.length) ? { id: decoder.id, failed: decoder.failed } : undefined;
}

describe('AckDecoder', () => {
  const ids = [0, 1, 127, 128, 16_383, 16_384, 20_001, 2 ** 31, 2 ** 32, 2 ** 40 + 7, 2 ** 53 - 1];

  it("reads protobufjs's encoding of every result, as protobufjs decodes it", () => {
    for (const id of ids) {
      for (const status of ['SUCCESS', 'FAILED'] as const) {
        const bytes = theirEncode({ result: { id: String(id), status } });
        expect(read(bytes)).toEqual({ id, failed: status === 'FAILED' });
        expect(theirDecode(bytes)).toMatchObject({ result: { id: String(id), status } });
        expect(bytes.equals(encodeWatchJobsResult(String(id), status))).toBe(true);
      }
    }
  });

  it("reads Go's encoding, which leaves out default fields (SUCCESS, id 0)", () => {
    expect(read(Buffer.from([0x12, 0x00]))).toEqual({ id: 0, failed: false });
    expect(read(Buffer.from([0x12, 0x02, 0x08, 0x05]))).toEqual({ id: 5, failed: false });
    expect(read(Buffer.from([0x12, 0x02, 0x10, 0x01]))).toEqual({ id: 0, failed: true });
    expect(read(Buffer.from([0x12, 0x04, 0x10, 0x01, 0x08, 0x09]))).toEqual({ id: 9, failed: true }); // any field order
  });

  it('answers false for anything but a plain result, which then takes the generic decoder', () => {
    const refused = [
      theirEncode({ initial: { appId: 'a', namespace: 'n' } }),
      Buffer.from([]),
      Buffer.from([0x12]),
      Buffer.from([0x12, 0x03, 0x08, 0x05]), // inner length past the end
      Buffer.from([0x12, 0x02, 0x08, 0x05, 0x00]), // something after the result
      Buffer.from([0x12, 0x02, 0x08, 0x85]), // truncated varint
      Buffer.from([0x12, 0x02, 0x10, 0x02]), // an unknown status
      Buffer.from([0x12, 0x02, 0x18, 0x01]), // an unknown field
      Buffer.from([0x12, 0x0b, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), // varint over ten bytes
      theirEncode({ result: { id: String(2 ** 53), status: 'SUCCESS' } }), // beyond a number's exact range
      theirEncode({ result: { id: '18446744073709551615', status: 'FAILED' } }),
    ];
    for (const bytes of refused) expect(read(bytes), bytes.toString('hex')).toBeUndefined();
  });

  it('agrees with decodeWatchJobsResult and protobufjs on every mutation of a valid ack it accepts', () => {
    let seed = 12;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let accepted = 0;
    for (let round = 0; round < 20_000; round++) {
      const bytes = Buffer.from(ack(random(2 ** 30), random(2) ? 'FAILED' : 'SUCCESS'));
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[random(bytes.length)] = random(3) === 0 ? random(256) : bytes[random(bytes.length)]!;
      const ours = read(bytes);
      const hand = decodeWatchJobsResult(bytes);
      if (!ours) continue;
      accepted++;
      expect(hand, bytes.toString('hex')).toEqual({ watchJobRequestType: 'result', result: { id: String(ours.id), status: ours.failed ? 'FAILED' : 'SUCCESS' } });
      expect(theirDecode(bytes), bytes.toString('hex')).toMatchObject({ result: { id: String(ours.id), status: ours.failed ? 'FAILED' : 'SUCCESS' } });
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

/** A reader whose acks and hand-overs to grpc-js are recorded. */
function reader(attached = true) {
  const acks: Array<[number, boolean]> = [];
  const batches: number[] = [];
  const toGrpc: Buffer[] = [];
  const r = new WatchJobsAckReader((bytes) => toGrpc.push(Buffer.from(bytes)));
  const sink = (ids: readonly number[], failed: readonly boolean[], count: number): void => {
    batches.push(count);
    for (let i = 0; i < count; i++) acks.push([ids[i]!, failed[i]!]);
  };
  if (attached) r.attach(sink);
  return { r, acks, batches, toGrpc, attach: () => r.attach(sink) };
}

describe('WatchJobsAckReader', () => {
  const stream = Buffer.concat([ack(1), ack(2, 'FAILED'), ack(300), ack(2 ** 40)].map((m) => frame(m)));
  const expected: Array<[number, boolean]> = [
    [1, false],
    [2, true],
    [300, false],
    [2 ** 40, false],
  ];

  it('several acks in one chunk: one batch, in order', () => {
    const { r, acks, batches, toGrpc } = reader();
    r.push(stream);
    expect(acks).toEqual(expected);
    expect(batches).toEqual([4]);
    expect(toGrpc).toEqual([]);
  });

  it('acks cut anywhere, down to one byte per chunk: each once, in order', () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 13]) {
      const { r, acks, toGrpc } = reader();
      for (let at = 0; at < stream.length; at += size) r.push(stream.subarray(at, at + size));
      expect(acks, `chunks of ${size}`).toEqual(expected);
      expect(toGrpc).toEqual([]);
    }
  });

  it('before the sink is attached, grpc-js gets every message whole, one at a time, however cut', () => {
    const initial = theirEncode({ initial: { appId: 'app', namespace: 'default', actorTypes: ['x'.repeat(300)] } });
    const bytes = Buffer.concat([frame(initial), frame(ack(7))]);
    const { r, acks, toGrpc } = reader(false);
    for (let at = 0; at < bytes.length; at += 3) r.push(bytes.subarray(at, at + 3));
    expect(toGrpc).toEqual([frame(initial), frame(ack(7))]);
    expect(acks).toEqual([]);
  });

  it('a malformed message after the acks: the acks before it settle, grpc-js gets everything from it on', () => {
    const bad = frame(Buffer.from([0x12, 0x02, 0x18, 0x01]));
    const { r, acks, toGrpc } = reader();
    r.push(Buffer.concat([frame(ack(1)), frame(ack(2)), bad, frame(ack(3))]));
    r.push(frame(ack(4)));
    expect(acks).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(Buffer.concat(toGrpc)).toEqual(Buffer.concat([bad, frame(ack(3)), frame(ack(4))]));
  });

  it('a compressed message goes to grpc-js with the rest of the call', () => {
    const { r, acks, toGrpc } = reader();
    r.push(Buffer.concat([frame(ack(1)), frame(ack(2), true)]));
    r.push(frame(ack(3)));
    expect(acks).toEqual([[1, false]]);
    expect(Buffer.concat(toGrpc)).toEqual(Buffer.concat([frame(ack(2), true), frame(ack(3))]));
  });

  it('a message longer than an ack could be goes to grpc-js with the rest, its limit applies there', () => {
    const { r, acks, toGrpc } = reader();
    const header = Buffer.from([0, 0, 0, 0, 0]);
    header.writeUInt32BE(MAX_DIRECT_BYTES + 1, 1);
    r.push(Buffer.concat([frame(ack(1)), header, Buffer.alloc(10)]));
    r.push(Buffer.alloc(10));
    expect(acks).toEqual([[1, false]]);
    expect(Buffer.concat(toGrpc)).toEqual(Buffer.concat([header, Buffer.alloc(20)]));
  });

  it('after detach, acks go to grpc-js (the handler has ended and ignores them)', () => {
    const { r, acks, toGrpc } = reader();
    r.detach();
    r.push(frame(ack(1)));
    expect(acks).toEqual([]);
    expect(toGrpc).toEqual([frame(ack(1))]);
  });
});
