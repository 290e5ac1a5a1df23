// IP addresses and CIDR ranges as numbers, for the outbound policy (outbound-policy.ts). Pure code:
// the core has no node:net. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, in any spelling) is the
// IPv4 address it carries, so it cannot slip past an IPv4 rule.

export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
  value: bigint;
}

export interface IpRange {
  family: 4 | 6;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** Parses a dotted-quad IPv4 or an IPv6 address (brackets and a %zone allowed); undefined when it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) return parseIpv6(s.replace(/%.*$/, ''));
  const v4 = parseIpv4(s);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(s: string): IpAddress | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const items = half.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.includes('.')) {
        // An embedded IPv4 address, only as the last item.
        if (i !== items.length - 1) return undefined;
        const v4 = parseIpv4(item);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
      out.push(parseInt(item, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  // ::ffff:a.b.c.d is an IPv4 address on the wire.
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/** Parses "10.0.0.0/8", "fc00::/7" or a single address (a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const written = slash < 0 ? undefined : text.slice(slash + 1);
  if (written !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(written)) return undefined;
  // An IPv4-mapped range written in IPv6 (::ffff:10.0.0.0/104) counts in IPv4 bits.
  const mappedIpv6 = address.family === 4 && text.slice(0, slash < 0 ? undefined : slash).includes(':');
  let prefix = written === undefined ? BITS[address.family] : Number(written) - (mappedIpv6 ? 96 : 0);
  if (prefix < 0 || prefix > BITS[address.family]) return undefined;
  prefix = Math.trunc(prefix);
  return { family: address.family, network: address.value & mask(address.family, prefix), prefix };
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  return address.family === range.family && (address.value & mask(range.family, range.prefix)) === range.network;
}

/** True when every address of `inner` lies in `outer`. */
export function rangeWithin(inner: IpRange, outer: IpRange): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && (inner.network & mask(outer.family, outer.prefix)) === outer.network;
}

export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((address.value >> shift) & 0xffffn).toString(16));
  // The longest run of zero groups (two or more) becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}
