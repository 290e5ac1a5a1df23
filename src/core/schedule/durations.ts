// Durations in the two notations Dapr accepts: Go's (10s, 1h30m) and ISO 8601's (PT10S, P1D).
export { parseGoDuration } from './go-duration.js';
export { parseIsoDuration, parseIsoRepeating, hasCalendarPart, isoTimePartMs } from './iso-duration.js';
export type { IsoDuration, IsoRepeating } from './iso-duration.js';
export { addIsoDuration } from './iso-arithmetic.js';
