// Where a WatchJobs trigger message goes: framed, straight to the HTTP/2 stream when the call
// below is grpc-js's own with its headers sent; otherwise unframed through sendMessage, which
// serializes, frames and checks the send limit itself. The wire bytes are the same either way.

import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GRPC_HEADER_BYTES } from '@duetime/sdk/protocol';
import { ResponseWriter } from '../../../src/api/grpc/watch-jobs-writer.js';

const framed = Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x61]);

/** A call shaped like grpc-js's BaseServerInterceptingCall, recording both ways out. */
function call(shape: { metadataSent?: boolean; maxSendMessageSize?: number; base?: boolean } = {}) {
  const direct: Buffer[] = [];
  const sent: Buffer[] = [];
  const c = {
    sendMessage: (message: Buffer, callback: () => void) => {
      sent.push(message);
      callback();
    },
    ...(shape.base === false
      ? {}
      : {
          metadataSent: shape.metadataSent ?? true,
          maxSendMessageSize: shape.maxSendMessageSize ?? -1,
          stream: {
            destroyed: false,
            write: (chunk: Buffer, callback: () => void) => {
              direct.push(chunk);
              callback();
              return true;
            },
          },
        }),
  };
  return { writer: new ResponseWriter(c as unknown as ServerInterceptingCallInterface), direct, sent };
}

const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Chunks as hex: a batch is a view into a larger slab, which deep equality of Buffers looks past. */
const hex = (chunks: Buffer[]): string[] => chunks.map((chunk) => chunk.toString('hex'));

describe('ResponseWriter', () => {
  it("writes the framed message to grpc-js's HTTP/2 stream as it is, once the turn's code has run", async () => {
    const { writer, direct, sent } = call();
    expect(writer.write(framed)).toBe(true);
    expect(direct).toEqual([]);
    await turnEnd();
    expect(hex(direct)).toEqual(hex([framed]));
    expect(sent).toEqual([]);
  });

  it('writes the messages of one turn as one chunk, in order', async () => {
    const { writer, direct } = call();
    const second = Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x62]);
    writer.write(framed);
    const at = writer.reserve(second.length);
    second.copy(writer.buffer, at);
    expect(writer.batched()).toBe(true);
    await turnEnd();
    writer.write(framed);
    await turnEnd();
    expect(hex(direct)).toEqual(hex([Buffer.concat([framed, second]), framed]));
  });

  it('writes what a slab holds before a message that does not fit; a message larger than a slab gets one of its own', async () => {
    const { writer, direct } = call();
    const large = Buffer.alloc(70 << 10, 7);
    large.writeUInt32BE(large.length - GRPC_HEADER_BYTES, 1);
    large[0] = 0;
    writer.write(framed);
    writer.write(large);
    writer.write(framed);
    await turnEnd();
    expect(hex(direct)).toEqual(hex([framed, large, framed]));
  });

  it('hands a batch to the stream once it holds 2 KB, before the turn ends, so the peer starts on the first ones', async () => {
    const { writer, direct } = call();
    for (let i = 0; i < 400; i++) writer.write(framed); // 3,200 bytes
    expect(direct).toHaveLength(1);
    expect(direct[0]!.length).toBeGreaterThanOrEqual(2048);
    await turnEnd();
    expect(hex([Buffer.concat(direct)])).toEqual(hex([Buffer.concat(Array.from({ length: 400 }, () => framed))]));
  });

  it('with a send limit on the call, writes each message on its own at once (checked against the limit)', () => {
    const { writer, direct } = call({ maxSendMessageSize: 100 });
    expect(writer.batching()).toBe(false);
    writer.write(framed);
    expect(direct).toEqual([framed]);
  });

  it('answers false above the high-water mark until the batches are written', async () => {
    const written: Array<() => void> = [];
    const c = {
      sendMessage: () => undefined,
      metadataSent: true,
      maxSendMessageSize: -1,
      stream: { destroyed: false, write: (_chunk: Buffer, callback: () => void) => (written.push(callback), true) },
    };
    const writer = new ResponseWriter(c as unknown as ServerInterceptingCallInterface);
    let drained = 0;
    writer.onDrain(() => drained++);
    const big = Buffer.alloc(600 << 10);
    expect(writer.write(big)).toBe(true);
    expect(writer.write(big)).toBe(false);
    await turnEnd();
    expect(written).toHaveLength(2);
    for (const callback of written) callback();
    expect(drained).toBe(1);
  });

  it('drops a batch whose stream ended before it went out', async () => {
    const { writer, direct } = call();
    writer.write(framed);
    (writer as unknown as { base: { stream: { writableEnded: boolean } } }).base.stream.writableEnded = true;
    await turnEnd();
    expect(direct).toEqual([]);
  });

  it('sends the message without its header through sendMessage when the call is not grpc-js\'s own', () => {
    const { writer, direct, sent } = call({ base: false });
    writer.write(framed);
    expect(sent).toEqual([framed.subarray(GRPC_HEADER_BYTES)]);
    expect(direct).toEqual([]);
  });

  it('leaves the headers to grpc-js: before they are sent, through sendMessage', () => {
    const { writer, direct, sent } = call({ metadataSent: false });
    writer.write(framed);
    expect(sent).toHaveLength(1);
    expect(direct).toEqual([]);
  });

  it("leaves a message over the call's send limit to grpc-js, which refuses it", () => {
    const { writer, direct, sent } = call({ maxSendMessageSize: 2 });
    writer.write(framed);
    expect(sent).toHaveLength(1);
    expect(direct).toEqual([]);
  });
});
