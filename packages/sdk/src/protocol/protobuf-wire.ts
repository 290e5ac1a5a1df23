// The few bits of the protobuf wire format that Duetime writes and reads by hand: the
// google.protobuf.Value inside a job's Any, and the google.rpc error details of a status.
// Pure and dependency-free: the SDK imports it too, so keep it free of server imports.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private bytes: number[] = [];

  /** A varint field (uint32, enum, bool). */
  varint(field: number, value: number): this {
    this.tag(field, VARINT);
    this.rawVarint(value);
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, FIXED64);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    this.push(buffer);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    let rest = Math.trunc(value);
    while (rest > 0x7f) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }

  private push(chunk: Uint8Array): void {
    this.flush();
    this.chunks.push(chunk);
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    this.chunks.push(Uint8Array.from(this.bytes));
    this.bytes = [];
  }
}

export type ProtoField =
  | { field: number; wireType: typeof VARINT; value: number }
  | { field: number; wireType: typeof FIXED64; value: Buffer }
  | { field: number; wireType: typeof LENGTH_DELIMITED; value: Buffer }
  | { field: number; wireType: typeof FIXED32; value: Buffer };

/** Splits a message into its fields, in wire order; throws on malformed bytes. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (at >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[at++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  };
  const take = (length: number): Buffer => {
    if (at + length > buffer.length) throw new Error('truncated field');
    const slice = buffer.subarray(at, at + length);
    at += length;
    return slice;
  };
  while (at < buffer.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new Error('field number 0');
    switch (wireType) {
      case VARINT:
        fields.push({ field, wireType, value: varint() });
        break;
      case FIXED64:
        fields.push({ field, wireType, value: take(8) });
        break;
      case LENGTH_DELIMITED:
        fields.push({ field, wireType, value: take(varint()) });
        break;
      case FIXED32:
        fields.push({ field, wireType, value: take(4) });
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return fields;
}
