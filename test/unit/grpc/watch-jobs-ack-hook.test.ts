// The ack reader goes below grpc-js only on a call shaped as grpc-js 1.14 builds it; on anything
// else grpc-js keeps reading every message itself.

import { EventEmitter } from 'node:events';
import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { readAcksBelowGrpc } from '../../../src/api/grpc/watch-jobs-ack-hook.js';

class BaseLike {
  readonly stream = new EventEmitter();
  readonly chunks: Buffer[] = [];
  cancelled = false;
  constructor(listeners = 1) {
    for (let i = 0; i < listeners; i++) this.stream.on('data', (chunk: Buffer) => this.handleDataFrame(chunk));
  }
  handleDataFrame(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  checkCancelled(): boolean {
    return this.cancelled;
  }
}

const asCall = (c: unknown): ServerInterceptingCallInterface => c as ServerInterceptingCallInterface;

describe('readAcksBelowGrpc', () => {
  it('takes the chunks of a grpc-js-shaped call; what is not an ack still reaches grpc-js', () => {
    const base = new BaseLike();
    const reader = readAcksBelowGrpc(asCall(base));
    expect(reader).toBeDefined();
    base.stream.emit('data', Buffer.from([0, 0, 0, 0, 2, 0x0a, 0x00])); // an initial, before any sink
    expect(base.chunks).toEqual([Buffer.from([0, 0, 0, 0, 2, 0x0a, 0x00])]);
  });

  it('reads nothing once grpc-js says the call is cancelled', () => {
    const base = new BaseLike();
    readAcksBelowGrpc(asCall(base));
    base.cancelled = true;
    base.stream.emit('data', Buffer.from([0, 0, 0, 0, 0]));
    expect(base.chunks).toEqual([]);
  });

  it('leaves other shapes alone: no stream, another data listener, a call already patched', () => {
    expect(readAcksBelowGrpc(asCall({ handleDataFrame() {}, checkCancelled: () => false }))).toBeUndefined();
    expect(readAcksBelowGrpc(asCall(new BaseLike(2)))).toBeUndefined();
    const patched = new BaseLike();
    readAcksBelowGrpc(asCall(patched));
    expect(readAcksBelowGrpc(asCall(patched))).toBeUndefined();
  });
});
