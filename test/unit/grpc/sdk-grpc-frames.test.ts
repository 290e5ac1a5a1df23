// The SDK's gRPC message framing (what its HTTP/2 WatchJobs client reads and writes): messages
// come out whole however the stream's chunks cut them, and what it writes is what grpc-js reads.

import { describe, expect, it } from 'vitest';
import { FrameReader, frameMessages } from '../../../packages/sdk/src/grpc-frames.js';

const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.from('x'.repeat(70_000)), Buffer.from([0, 1, 2, 3, 4, 5])];

function readAll(reader: FrameReader, chunks: Buffer[]): string[] {
  // Copy each message as it comes: they may be views of a chunk.
  return chunks.flatMap((chunk) => reader.push(chunk).map((m) => Buffer.from(m).toString('hex')));
}

describe('gRPC framing', () => {
  const framed = frameMessages(messages);
  const expected = messages.map((m) => m.toString('hex'));

  it('writes the 5-byte header (uncompressed, big-endian length) before each message', () => {
    expect([...framed.subarray(0, 10)]).toEqual([0, 0, 0, 0, 5, ...Buffer.from('first')]);
    expect(framed.length).toBe(messages.reduce((n, m) => n + 5 + m.length, 0));
  });

  it('reads the messages from one chunk', () => {
    expect(readAll(new FrameReader(1 << 20), [framed])).toEqual(expected);
  });

  it.each([1, 2, 3, 5, 7, 1000, 16_384])('reads them from chunks of %i bytes', (size) => {
    const chunks: Buffer[] = [];
    for (let at = 0; at < framed.length; at += size) chunks.push(framed.subarray(at, at + size));
    const reader = new FrameReader(1 << 20);
    expect(readAll(reader, chunks)).toEqual(expected);
    expect(reader.partial).toBe(false);
  });

  it('knows when the stream stopped inside a message', () => {
    const reader = new FrameReader(1 << 20);
    reader.push(framed.subarray(0, 12));
    expect(reader.partial).toBe(true);
  });

  it('refuses compressed messages and messages over the limit', () => {
    expect(() => new FrameReader(1 << 20).push(Buffer.from([1, 0, 0, 0, 1, 0]))).toThrow(/compressed/);
    expect(() => new FrameReader(100).push(frameMessages([Buffer.alloc(101)]))).toThrow(/101 bytes/);
  });
});
