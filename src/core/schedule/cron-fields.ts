// Checks the six cron fields against the grammar Dapr accepts (robfig/cron, seconds first) plus
// croner's L, W and #, and rewrites them into plain numeric croner syntax. Doing this ourselves
// gives messages that name the field, keeps croner-only syntax (+, year field, "/5") out, and
// keeps robfig's rule for when day-of-month and day-of-week are "unrestricted" (see starLike).

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Highest value a step runs to (day-of-week accepts 7 for Sunday, but steps stop at 6). */
  stepMax: number;
  names?: Readonly<Record<string, number>>;
}

const MONTHS = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };
const WEEKDAYS = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, stepMax: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, stepMax: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, stepMax: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31, stepMax: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, stepMax: 12, names: MONTHS };
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 7, stepMax: 6, names: WEEKDAYS };
const FIELDS = [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];

export const CRON_FIELD_NAMES = FIELDS.map((field) => field.name);

/** Six validated fields as one croner pattern; throws a plain Error naming the bad field. */
export function toCronerPattern(fields: readonly string[]): string {
  return FIELDS.map((spec, index) => normaliseField(fields[index] ?? '', spec)).join(' ');
}

function normaliseField(text: string, spec: FieldSpec): string {
  const items = text.toUpperCase().split(',');
  if (items.some((item) => item === '')) throw new Error(`${spec.name} "${text}" has an empty list item`);
  // robfig: a field with a bare * or ? item (no step, or step 1) is unrestricted. That decides
  // whether day-of-month and day-of-week combine with AND (one unrestricted) or OR (both set).
  // croner only knows a lone "*", so such fields are handed over as exactly that.
  if (items.some(starLike)) return '*';
  return items.map((item) => normaliseItem(item, spec, items.length)).join(',');
}

function starLike(item: string): boolean {
  return /^[*?](?:\/0*1)?$/.test(item);
}

function normaliseItem(item: string, spec: FieldSpec, itemCount: number): string {
  const special = spec === DAY_OF_MONTH ? dayOfMonthSpecial(item, itemCount) : spec === DAY_OF_WEEK ? dayOfWeekSpecial(item) : undefined;
  if (special !== undefined) return special;
  const parts = item.split('/');
  if (parts.length > 2) throw new Error(`${spec.name} "${item}" has more than one /`);
  const [base = '', stepText] = parts;
  let low: number;
  let high: number;
  if (base === '*' || base === '?') {
    low = spec.min;
    high = spec.stepMax;
  } else if (base.includes('-')) {
    const bounds = base.split('-');
    if (bounds.length !== 2) throw new Error(`${spec.name} range "${item}" must be two values with one - between, e.g. 1-5`);
    low = value(bounds[0] ?? '', spec);
    high = value(bounds[1] ?? '', spec);
    if (low > high) throw new Error(`${spec.name} range "${item}" runs backwards; write the smaller value first`);
  } else {
    if (base === '') throw new Error(`${spec.name} step "${item}" needs a start, e.g. */${stepText} or 0/${stepText}`);
    low = value(base, spec);
    // robfig: N/step runs from N to the end of the field's range.
    high = stepText === undefined ? low : spec.stepMax;
    if (low > high) throw new Error(`${spec.name} step "${item}" starts after the end of the range (${spec.stepMax})`);
  }
  if (stepText === undefined) return low === high ? `${low}` : `${low}-${high}`;
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
    throw new Error(`${spec.name} step "${item}" must end in a whole number of 1 or more, e.g. */5`);
  }
  const step = Number(stepText);
  // A step past the end of the range leaves only the start (croner would refuse it).
  return step > high - low ? `${low}` : `${low}-${high}/${step}`;
}

// L = last day of the month, LW = last weekday (Mon-Fri), 15W = the weekday nearest the 15th.
function dayOfMonthSpecial(item: string, itemCount: number): string | undefined {
  if (item === 'L') return 'L';
  if (item === 'LW') {
    if (itemCount > 1) throw new Error('day-of-month LW (last weekday) must stand alone, not in a list');
    return 'LW';
  }
  const nearest = /^(\d+)W$/.exec(item);
  if (nearest !== null) return `${value(nearest[1] ?? '', DAY_OF_MONTH)}W`;
  if (/[LW]/.test(item)) {
    throw new Error(`day-of-month "${item}" is not valid; L, LW and nW (e.g. 15W) stand alone, without ranges or steps`);
  }
  return undefined;
}

// FRI#2 = second Friday, FRI#L or FRIL = last Friday of the month.
function dayOfWeekSpecial(item: string): string | undefined {
  const nth = /^(\w+?)#(\d+|L)$/.exec(item);
  if (nth !== null) {
    const which = nth[2] ?? '';
    if (which !== 'L' && !/^[1-5]$/.test(which)) {
      throw new Error(`day-of-week "${item}": the number after # must be 1-5 (or L for the last)`);
    }
    return `${value(nth[1] ?? '', DAY_OF_WEEK)}#${which}`;
  }
  const last = /^(\d+|[A-Z]{3})L$/.exec(item);
  if (last !== null) return `${value(last[1] ?? '', DAY_OF_WEEK)}#L`;
  if (item.includes('#')) throw new Error(`day-of-week "${item}" must look like FRI#2 (second Friday) or FRI#L (last)`);
  return undefined;
}

function value(text: string, spec: FieldSpec): number {
  let number: number | undefined;
  if (/^\d+$/.test(text)) number = Number(text);
  else if (spec.names !== undefined && Object.hasOwn(spec.names, text)) number = spec.names[text];
  if (number === undefined) {
    const names = spec === MONTH ? ' or a name such as JAN' : spec === DAY_OF_WEEK ? ' or a name such as MON' : '';
    throw new Error(`${spec.name} "${text}" is not a number${names}`);
  }
  if (number < spec.min || number > spec.max) {
    throw new Error(`${spec.name} ${number} is out of range ${spec.min}-${spec.max}`);
  }
  return number;
}
