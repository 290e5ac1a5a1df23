// Where Duetime may send requests (--allow-outbound, docs/security.md "Outbound policy"): a list
// of CIDR ranges and host names. An app endpoint is checked when it is registered (an IP literal
// against the ranges; a name cannot be judged before it is resolved) and every connection again
// with the address its name resolved to, so a name that later points elsewhere (DNS rebinding)
// is still refused.
//
// Link-local addresses (169.254.0.0/16, fe80::/10), where cloud metadata services answer, and
// AWS's IPv6 metadata address (fd00:ec2::254, inside the private fc00::/7 the default allows)
// are refused unless an entry inside them is listed: a wide entry such as 0.0.0.0/0 does not
// open them, and neither does a listed host name that resolves there.

import { formatIp, inRange, parseCidr, parseIp, rangeWithin, type IpAddress, type IpRange } from './ip-address.js';

/** Loopback and the private ranges: what a deployment's own apps use. */
export const DEFAULT_ALLOW_OUTBOUND = '127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

/** Opened only by an entry inside them: link-local ranges and cloud metadata addresses outside them. */
const PROTECTED: IpRange[] = [parseCidr('169.254.0.0/16')!, parseCidr('fe80::/10')!, parseCidr('fd00:ec2::254/128')!];

interface RangeEntry {
  kind: 'range';
  text: string;
  range: IpRange;
}

interface HostEntry {
  kind: 'host';
  text: string;
  /** Lower case, without a leading "*." when `suffix`. */
  name: string;
  /** "*.example.com": any name under example.com (not example.com itself). */
  suffix: boolean;
}

type Entry = RangeEntry | HostEntry;

export class OutboundPolicy {
  private constructor(
    private readonly entries: Entry[],
    /** How users set the list, for messages: "--allow-outbound / DUETIME_ALLOW_OUTBOUND". */
    private readonly setting: string,
  ) {}

  /**
   * Parses a comma-separated list; throws an Error naming the first entry that is neither a CIDR
   * range, an IP address nor a host name. Undefined or empty: the default list.
   */
  static parse(text: string | undefined, setting = '--allow-outbound'): OutboundPolicy {
    const items = (text === undefined || text.trim() === '' ? DEFAULT_ALLOW_OUTBOUND : text)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const entries = items.map((item): Entry => {
      const looksNumeric = /^[0-9./]+$/.test(item) || item.includes(':') || item.includes('/');
      if (looksNumeric) {
        const range = parseCidr(item);
        if (!range) throw new Error(`${setting}: "${item}" is not a CIDR range or an IP address; write e.g. 10.0.0.0/8, 192.168.1.20 or fd00::/8`);
        return { kind: 'range', text: item, range };
      }
      const name = item.toLowerCase().replace(/\.$/, '');
      const suffix = name.startsWith('*.');
      const bare = suffix ? name.slice(2) : name;
      if (!/^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(bare)) {
        throw new Error(`${setting}: "${item}" is not a host name, a CIDR range or an IP address; write e.g. billing.internal, *.svc.cluster.local or 10.0.0.0/8`);
      }
      return { kind: 'host', text: item, name: bare, suffix };
    });
    return new OutboundPolicy(entries, setting);
  }

  static default(): OutboundPolicy {
    return OutboundPolicy.parse(undefined);
  }

  /** The list as configured, for messages. */
  describe(): string {
    return this.entries.map((e) => e.text).join(', ');
  }

  /**
   * Why a URL may not be registered as an endpoint, or undefined when it may. An IP literal is
   * judged now; a name only if listed (else when its connections resolve it). `field` starts
   * the message (the request's field name).
   */
  refusalOfUrl(url: URL, field = 'url'): string | undefined {
    const hostname = url.hostname;
    const address = parseIp(hostname);
    if (!address) return undefined;
    const reason = this.refusalOfAddress(address);
    return reason === undefined ? undefined : `${field} points at ${formatIp(address)}: ${reason}`;
  }

  /**
   * Why a connection to `address` (what `hostname` resolved to, or the literal itself) is
   * refused, or undefined when it is allowed.
   */
  refusalOfConnection(hostname: string, address: string): string | undefined {
    const ip = parseIp(address);
    if (!ip) return `${address} is not an IP address`;
    const literal = parseIp(hostname) !== undefined;
    if (!literal && this.hostListed(hostname) && !this.isProtected(ip)) return undefined;
    const reason = this.refusalOfAddress(ip);
    if (reason === undefined) return undefined;
    return `${literal ? formatIp(ip) : `${hostname} resolved to ${formatIp(ip)}`}: ${reason}`;
  }

  private refusalOfAddress(ip: IpAddress): string | undefined {
    const ranges = this.entries.filter((e): e is RangeEntry => e.kind === 'range');
    if (this.isProtected(ip)) {
      // Only an entry inside the protected range holding the address opens it.
      const opened = ranges.some((e) => inRange(ip, e.range) && PROTECTED.some((p) => inRange(ip, p) && rangeWithin(e.range, p)));
      if (opened) return undefined;
      return `a link-local or cloud metadata address (cloud metadata services answer there), never called unless ${this.setting} lists it (e.g. ${formatIp(ip)}/${ip.family === 4 ? 32 : 128}); use an address the policy allows (${this.describe()})`;
    }
    if (ranges.some((e) => inRange(ip, e.range))) return undefined;
    return `not allowed by ${this.setting} (allowed: ${this.describe()}); use an allowed address or add it to ${this.setting}`;
  }

  private isProtected(ip: IpAddress): boolean {
    return PROTECTED.some((range) => inRange(ip, range));
  }

  private hostListed(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return this.entries.some((e) => e.kind === 'host' && (e.suffix ? name.endsWith(`.${e.name}`) : name === e.name));
  }
}
