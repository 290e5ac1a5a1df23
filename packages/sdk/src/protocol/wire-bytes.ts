// Protobuf wire primitives for encoders that size a message first and then write it into one
// Buffer (watch-jobs-wire.ts): no chunk lists and no concatenation, which is what a message sent
// thousands of times a second can afford. Numbers are non-negative integers below 2^53.

/** Bytes a varint of n takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes n as a varint at `at`; returns the offset after it. */
export function writeVarint(buffer: Buffer, at: number, n: number): number {
  while (n > 0x7f) {
    buffer[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buffer[at++] = n;
  return at;
}

/** Bytes a length-delimited field of `length` payload bytes takes, with a one-byte tag. */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** A one-byte tag (field < 16), the length, and the UTF-8 of `text` (`length` bytes of it). */
export function writeString(buffer: Buffer, at: number, tag: number, text: string, length: number): number {
  buffer[at++] = tag;
  at = writeVarint(buffer, at, length);
  return at + buffer.write(text, at, length, 'utf8');
}

/** A one-byte tag, the length, and the bytes. */
export function writeBytes(buffer: Buffer, at: number, tag: number, bytes: Uint8Array): number {
  buffer[at++] = tag;
  at = writeVarint(buffer, at, bytes.length);
  buffer.set(bytes, at);
  return at + bytes.length;
}

/**
 * Reads a message field by field. `end` bounds the message being read: a caller reading a nested
 * message enters it and leaves it after (enter/leave). Throws on truncated or malformed bytes.
 * Varints are read as numbers: exact below 2^53, which callers that need exactness check.
 */
export class WireReader {
  at = 0;
  end: number;

  constructor(readonly bytes: Buffer) {
    this.end = bytes.length;
  }

  get done(): boolean {
    return this.at >= this.end;
  }

  varint(): number {
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.end) throw new Error('truncated varint');
      const byte = bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** A fixed64 double. */
  double(): number {
    if (this.at + 8 > this.end) throw new Error('truncated field');
    const value = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  /** The length of a length-delimited field; its bytes follow at `at`. */
  length(): number {
    const length = this.varint();
    if (this.at + length > this.end) throw new Error('truncated field');
    return length;
  }

  string(): string {
    const length = this.length();
    const text = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  /** A view of the field's bytes (no copy: a caller that keeps them copies them). */
  bytesView(): Buffer {
    const length = this.length();
    const view = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return view;
  }

  /** Enters the length-delimited message at `at`: reads are bounded to it until leave(). Returns what leave() needs. */
  enter(): number {
    const outer = this.end;
    const length = this.length(); // moves `at` past the length first
    this.end = this.at + length;
    return outer;
  }

  /** Leaves the message entered last (`outer` from enter()), past its end. */
  leave(outer: number): void {
    this.at = this.end;
    this.end = outer;
  }

  /** Skips a field of this wire type (its tag already read). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 2) {
      const length = this.length(); // moves `at` past the length first
      this.at += length;
    }
    else if (wireType === 5) this.at += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
    if (this.at > this.end) throw new Error('truncated field');
  }
}
