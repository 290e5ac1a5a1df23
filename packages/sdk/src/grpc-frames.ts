// gRPC's message framing on an HTTP/2 stream (the "Length-Prefixed-Message" of the gRPC over
// HTTP/2 protocol): one byte compressed-flag, a 4-byte big-endian length, then the message.
// FrameReader splits the stream's DATA chunks into messages, however the chunks cut them;
// frameMessages writes several messages as one buffer, for one write.

/** Splits a byte stream into gRPC messages. */
export class FrameReader {
  /** Bytes of a message not complete yet, and their total. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the message being gathered (its header read), or -1. */
  private needed = -1;

  constructor(
    /** Messages longer than this are refused (the stream should be cancelled). */
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * The complete messages in this chunk (with what earlier chunks left). The messages may be
   * views of the chunk: read them before the next push. Throws on a compressed message (we
   * accept only identity) or one over the limit.
   */
  push(chunk: Buffer): Buffer[] {
    let bytes = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // A long message arrives in many chunks: gather until it is whole, then join once.
      if (this.needed >= 0 && this.pendingBytes < this.needed + 5) return [];
      bytes = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const messages: Buffer[] = [];
    let at = 0;
    this.needed = -1;
    while (bytes.length - at >= 5) {
      if (bytes[at] !== 0) throw new Error('the server sent a compressed message, which this client did not accept');
      const length = bytes.readUInt32BE(at + 1);
      if (length > this.maxMessageBytes) throw new Error(`the server sent a message of ${length} bytes, more than the ${this.maxMessageBytes} accepted`);
      if (bytes.length - at - 5 < length) {
        this.needed = length;
        break;
      }
      messages.push(bytes.subarray(at + 5, at + 5 + length));
      at += 5 + length;
    }
    if (at < bytes.length) {
      this.pending.push(bytes.subarray(at));
      this.pendingBytes = bytes.length - at;
    }
    return messages;
  }

  /** True when the stream ended in the middle of a message. */
  get partial(): boolean {
    return this.pendingBytes > 0;
  }
}

/** The messages, each framed (uncompressed), in one buffer. */
export function frameMessages(messages: readonly Buffer[]): Buffer {
  let size = 0;
  for (const message of messages) size += 5 + message.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const message of messages) {
    out[at] = 0;
    out.writeUInt32BE(message.length, at + 1);
    message.copy(out, at + 5);
    at += 5 + message.length;
  }
  return out;
}
