// A job's payload between gRPC's google.protobuf.Any and the model's JSON `data` / raw `rawData`
// (docs/grpc.md, "Payloads"): an Any of google.protobuf.Value is decoded to JSON, any other Any
// is kept byte for byte, and both go back out as the Any they came in as.

import { InvalidRequestError } from '../../core/errors.js';
import type { RawPayload } from '../../core/model/job.js';
import { decodeValue, encodeValue, VALUE_TYPE_URL, type AnyMessage } from '@duetime/sdk/protocol';

export interface Payload {
  data?: unknown;
  rawData?: RawPayload;
}

export function payloadFromAny(any: AnyMessage | null | undefined): Payload {
  if (!any) return {};
  const typeUrl = any.type_url ?? '';
  const value = Buffer.from(any.value ?? []);
  if (typeUrl === '' && value.length === 0) return {}; // an empty Any: no payload
  if (typeUrl === VALUE_TYPE_URL) {
    try {
      return { data: decodeValue(value) };
    } catch (error) {
      throw new InvalidRequestError('DAPR_SCHEDULER_SCHEDULE_JOB', `job data is not a valid google.protobuf.Value (${(error as Error).message})`, 'data');
    }
  }
  return { rawData: { typeUrl, value: value.toString('base64') } };
}

/** The Any to send for a payload; undefined when there is none. */
export function anyFromPayload(payload: Payload): AnyMessage | undefined {
  if (payload.rawData) return { type_url: payload.rawData.typeUrl, value: Buffer.from(payload.rawData.value, 'base64') };
  if (payload.data === undefined) return undefined;
  return { type_url: VALUE_TYPE_URL, value: encodeValue(payload.data) };
}
