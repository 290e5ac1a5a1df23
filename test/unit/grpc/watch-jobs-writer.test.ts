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

describe('ResponseWriter', () => {
  it("writes the framed message to grpc-js's HTTP/2 stream as it is", () => {
    const { writer, direct, sent } = call();
    expect(writer.write(framed)).toBe(true);
    expect(direct).toEqual([framed]);
    expect(sent).toEqual([]);
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
