// A WatchJobs ack, `result{id, status}`, read in place from the bytes it arrived in: no object,
// no string id, no copy per ack (a burst brings one ack per trigger). It accepts exactly what
// decodeWatchJobsResult (@duetime/sdk/protocol) accepts in its canonical form, one-byte tags
// (protobufjs's and Go's encodings), and answers false for anything else, which the caller
// hands to the generic decoder. test/unit/grpc/watch-jobs-ack-reader.test.ts checks it against
// protobufjs and decodeWatchJobsResult.
//
//   WatchJobsRequest { oneof { WatchJobsRequestInitial initial = 1; WatchJobsRequestResult result = 2; } }
//   WatchJobsRequestResult { uint64 id = 1; WatchJobsRequestResultStatus status = 2; }  SUCCESS = 0, FAILED = 1

const RESULT = 0x12; // WatchJobsRequest.result, length-delimited
const ID = 0x08; // WatchJobsRequestResult.id, varint
const STATUS = 0x10; // WatchJobsRequestResult.status, varint
const MAX_ID = 2 ** 53; // ids are numbers in the consumer; larger ones take the generic path

/** Reads one ack; its fields stay in `id` and `failed` until the next read. */
export class AckDecoder {
  id = 0;
  failed = false;
  private at = 0;

  /** True when bytes[start, end) is one plain result message; then `id` and `failed` hold it. */
  read(bytes: Buffer, start: number, end: number): boolean {
    if (end - start < 2 || bytes[start] !== RESULT) return false;
    this.at = start + 1;
    const length = this.varint(bytes, end);
    if (length < 0 || this.at + length !== end) return false;
    let id = 0;
    let status = 0;
    while (this.at < end) {
      const tag = bytes[this.at++];
      const value = this.varint(bytes, end);
      if (value < 0) return false;
      if (tag === ID) id = value;
      else if (tag === STATUS) status = value;
      else return false;
    }
    if (status > 1 || id >= MAX_ID) return false;
    this.id = id;
    this.failed = status === 1;
    return true;
  }

  /** The varint at `at`, or -1 when it is truncated or longer than a uint64's ten bytes. */
  private varint(bytes: Buffer, end: number): number {
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (this.at >= end) return -1;
      const byte = bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    return -1;
  }
}
