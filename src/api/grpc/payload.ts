// A job's payload between gRPC's google.protobuf.Any and the model's JSON `data` / raw `rawData`
// (docs/grpc.md, "Payloads"): an Any of google.protobuf.Value is decoded to JSON, any other Any
// is kept byte for byte, and both go back out as the Any they came in as.

import { DuetimeError, InvalidRequestError } from '../../core/errors.js';
import { dataTooDeepError, DEFAULT_DATA_LIMITS } from '../../core/model/job-data.js';
import type { RawPayload } from '../../core/model/job.js';
import { decodeValue, encodeValue, encodeValueView, VALUE_TYPE_URL, type AnyMessage } from '@duetime/sdk/protocol';

export interface Payload {
  data?: unknown;
  rawData?: RawPayload;
}

/** `maxDepth`: --max-data-depth, named when a Value is too deep even to decode. */
export function payloadFromAny(any: AnyMessage | null | undefined, maxDepth = DEFAULT_DATA_LIMITS.maxDepth): Payload {
  if (!any) return {};
  const typeUrl = any.type_url ?? '';
  const value = Buffer.from(any.value ?? []);
  if (typeUrl === '' && value.length === 0) return {}; // an empty Any: no payload
  if (typeUrl === VALUE_TYPE_URL) {
    try {
      return { data: decodeValue(value) };
    } catch (error) {
      // Thousands of levels overflow the decoder's stack: the depth limit refuses it either way.
      if (error instanceof RangeError) throw dataTooDeepError(maxDepth, 'DAPR_SCHEDULER_SCHEDULE_JOB');
      throw new InvalidRequestError('DAPR_SCHEDULER_SCHEDULE_JOB', `job data is not a valid google.protobuf.Value (${(error as Error).message})`, 'data');
    }
  }
  return { rawData: { typeUrl, value: value.toString('base64') } };
}

/**
 * The Any to send for a payload; undefined when there is none. Throws UnencodableDataError for
 * data nested too deep to encode (stored before --max-data-depth refused it).
 */
export function anyFromPayload(payload: Payload): AnyMessage | undefined {
  return anyOf(payload, encodeValue);
}

/**
 * anyFromPayload for a caller that copies the bytes at once (a WatchJobs trigger encoded into its
 * stream's batch): a JSON payload's value is a view of the Value encoder's scratch buffer, valid
 * until the next encoding, so no Buffer and copy of its own per trigger.
 */
export function anyViewFromPayload(payload: Payload): AnyMessage | undefined {
  return anyOf(payload, encodeValueView);
}

function anyOf(payload: Payload, encode: (data: unknown) => Buffer): AnyMessage | undefined {
  if (payload.rawData) return { type_url: payload.rawData.typeUrl, value: Buffer.from(payload.rawData.value, 'base64') };
  if (payload.data === undefined) return undefined;
  try {
    return { type_url: VALUE_TYPE_URL, value: encode(payload.data) };
  } catch (error) {
    if (error instanceof RangeError) throw new UnencodableDataError();
    throw error;
  }
}

/** A stored job's data cannot go out as a google.protobuf.Value: one job's failure, never the call's or the stream's. */
export class UnencodableDataError extends DuetimeError {
  constructor() {
    super(
      'internal',
      'ERR_JOB_DATA_UNREADABLE',
      'the job\'s data is nested too deep to send over gRPC (it was stored before --max-data-depth refused such data); read it with HTTP GET /v1.0/jobs/{name}, or delete the job and schedule it with flatter data',
      'data',
    );
  }
}
