// fast-check arbitraries for the fuzz suite: what a caller controls on the jobs and reminder
// APIs, mostly near misses of valid input (a valid form with one part wrong) with some noise.
// Sizes stay small: the limits on large input (data depth and size, schedule lengths) have
// tests of their own, and the suite must run in seconds.

import fc from 'fast-check';

/** The job every run keeps, and whose bytes a rejected request must leave as they were. */
export const KEPT = 'keep';

const validSchedules = ['@every 1h', '@every 90m', '0 0 * * * *', '0 30 9 * * MON-FRI', '@daily', '@hourly', 'CRON_TZ=Europe/Paris 0 0 8 * * *', 'R3/PT1H', 'PT1H', '@every 10s'];
const validDurations = ['1h', '10m', '0s', '1h30m', 'PT1H', 'P1D', '2030-01-01T00:00:00Z', '2031-06-01T12:00:00.123Z', '500ms', '-1h'];

/** Strings of any code points, control characters and surrogates included. */
export const anyText = (maxLength = 24) => fc.string({ unit: 'binary', maxLength });

/** One character of those the API treats specially, repeated or combined. */
const special = fc.constantFrom('.', '..', '/', '\\', '#', '?', '%', '%2F', '%00', '\u0000', '\u007f', '\n', ' ', '|', '||', '*', '+', '\ud800', '\u{1F600}', '&', '=');

/** A job (or reminder) name: the kept one, plain ones, special characters, noise. */
export const jobName = fc.oneof(
  { weight: 2, arbitrary: fc.constant(KEPT) },
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/) },
  { weight: 2, arbitrary: fc.array(fc.oneof(special, fc.stringMatching(/^[a-z]{1,4}$/)), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: anyText(40) },
  { weight: 1, arbitrary: fc.string({ minLength: 500, maxLength: 600 }) },
);

/** A value for a string field: valid forms, near misses, wrong types. */
function field(valid: string[]): fc.Arbitrary<unknown> {
  const validOne = fc.constantFrom(...valid);
  return fc.oneof(
    { weight: 4, arbitrary: validOne },
    { weight: 2, arbitrary: fc.tuple(validOne, special, fc.nat({ max: 3 })).map(([v, s, at]) => v.slice(0, at) + s + v.slice(at)) },
    { weight: 1, arbitrary: anyText() },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 })) },
  );
}

const smallJson = fc.jsonValue({ maxDepth: 3 });

const duration = field(['1s', '0s', '100ms', '1m', 'PT5S', '1h']);

/** A failure policy: Dapr's and Duetime's shapes, with fields of wrong types and unknown keys. */
export const failurePolicy = fc.oneof(
  fc.constant({ drop: {} }),
  fc.record({ constant: fc.record({ interval: duration, maxRetries: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(null), anyText(4)) }, { requiredKeys: [] }) }),
  fc.record({
    exponential: fc.record(
      { initialInterval: duration, maxInterval: duration, multiplier: fc.oneof(fc.double({ min: -1, max: 4, noNaN: false }), anyText(3)), maxRetries: fc.integer({ min: -1, max: 5 }), jitter: fc.oneof(fc.double(), fc.boolean()) },
      { requiredKeys: [] },
    ),
  }),
  fc.dictionary(anyText(8), smallJson, { maxKeys: 2 }),
  smallJson,
);

/** A target: each kind with plausible and broken specs. */
export const target = fc.oneof(
  fc.record({ app: fc.oneof(fc.constant({}), fc.dictionary(anyText(6), smallJson, { maxKeys: 2 })) }),
  fc.record({ actor: fc.record({ type: field(['Clock', 'Cart']), id: field(['a-1', 'x']) }, { requiredKeys: [] }) }),
  fc.record({ pubsub: fc.record({ name: field(['events']), topic: field(['orders']), metadata: fc.oneof(fc.dictionary(anyText(6), anyText(6), { maxKeys: 2 }), smallJson) }, { requiredKeys: [] }) }),
  fc.record({ state: fc.record({ store: field(['cache']), key: field(['k']) }, { requiredKeys: [] }) }),
  fc.record({ binding: fc.record({ name: field(['hook']), operation: field(['create']) }, { requiredKeys: [] }) }),
  fc.dictionary(anyText(8), smallJson, { maxKeys: 2 }),
  smallJson,
);

/** A body the API accepts (so that a run also sees acceptance, and what undoing it takes). */
const validJobBody = fc.record(
  {
    dueTime: fc.constantFrom('1h', '24h', '2030-01-01T00:00:00Z', 'PT2H'),
    schedule: fc.constantFrom('@every 1h', '0 0 * * * *', '@daily'),
    repeats: fc.integer({ min: 1, max: 5 }),
    data: smallJson,
    failurePolicy: fc.constantFrom({ drop: {} }, { constant: { interval: '1s', maxRetries: 2 } }),
    overwrite: fc.boolean(),
  },
  { requiredKeys: ['dueTime'] },
);

/** Every field optional, each a valid form, a near miss or a wrong type. */
const fuzzedJobBody = fc
  .record(
    {
      schedule: field(validSchedules),
      dueTime: field(validDurations),
      ttl: field(validDurations),
      repeats: fc.oneof(fc.integer({ min: -3, max: 10 }), fc.constant(2 ** 32), fc.double(), anyText(4), fc.constant(null)),
      data: smallJson,
      failurePolicy,
      target,
      overwrite: fc.oneof(fc.boolean(), anyText(4), fc.constant(null)),
      catchUp: field(['all', 'one', 'none']),
    },
    { requiredKeys: [] },
  )
  .chain((body) => fc.oneof({ weight: 5, arbitrary: fc.constant(body) }, { weight: 1, arbitrary: fc.tuple(anyText(10), smallJson).map(([key, value]) => ({ ...body, [key]: value })) }));

/** A job body: valid ones, valid ones with one field fuzzed, and fuzz throughout. */
export const jobBody: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  validJobBody,
  fc.tuple(validJobBody, fuzzedJobBody).chain(([valid, fuzzed]) => {
    const keys = Object.keys(fuzzed);
    return keys.length === 0 ? fc.constant(valid) : fc.constantFrom(...keys).map((key) => ({ ...valid, [key]: (fuzzed as Record<string, unknown>)[key] }));
  }),
  fuzzedJobBody,
);

/** A reminder body (Dapr's create-reminder fields): valid ones and fuzzed ones. */
export const reminderBody = fc.oneof(
  fc.record({ dueTime: fc.constantFrom('1h', '24h'), period: fc.constantFrom('1h', 'PT1H', 'R3/PT1H') }, { requiredKeys: ['dueTime'] }),
  fuzzedReminderBody(),
);

function fuzzedReminderBody() {
  return fc.record(
  {
    dueTime: field(validDurations),
    period: field(validSchedules),
    ttl: field(validDurations),
    data: smallJson,
    overwrite: fc.oneof(fc.boolean(), anyText(3)),
    failurePolicy,
  },
  { requiredKeys: [] },
  );
}

/** A raw query string: known parameters repeated, values valid or not, broken percent-encoding. */
export const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('prefix', 'limit', 'cursor'), fc.stringMatching(/^[a-z%._[\]0-9]{0,6}$/)),
      fc.oneof(fc.constantFrom('', 'k', 'kee', '1', '0', '1000', '-1', 'abc', '%ZZ', '%E2%82', '%25', '%00', 'eyJ9', '+'), fc.stringMatching(/^[a-zA-Z0-9%._~+-]{0,10}$/)),
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([key, value, withEquals]) => (withEquals ? `${key}=${value}` : key)).join('&'));

/** Body bytes that may or may not be JSON. */
export const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  validJobBody.map((body) => Buffer.from(JSON.stringify(body))),
  jobBody.map((body) => Buffer.from(JSON.stringify(body) ?? 'null')).chain((bytes) => fc.nat({ max: Math.max(0, bytes.length - 1) }).map((cut) => bytes.subarray(0, cut))),
  fc.constantFrom('{', '[]', '"x"', '1e999999', '{"__proto__":{"schedule":"@every 1s"}}', '{"dueTime":"1h","dueTime":2}', '\ufeff{"dueTime":"1h"}', 'null').map((text) => Buffer.from(text)),
);

/** Encodes one path segment; "." and ".." too (fetch would resolve them away). Undefined for text that cannot be encoded. */
export function segment(text: string): string | undefined {
  try {
    return encodeURIComponent(text).replace(/\./g, '%2E');
  } catch {
    return undefined; // a lone surrogate
  }
}
