import { describe, expect, it } from 'vitest';
import { formatIp, parseCidr, parseIp } from '../../../src/core/model/ip-address.js';
import { OutboundPolicy } from '../../../src/core/model/outbound-policy.js';

describe('IP addresses', () => {
  it('reads IPv4, IPv6 and IPv4-mapped IPv6 in every spelling as one address', () => {
    expect(formatIp(parseIp('169.254.169.254')!)).toBe('169.254.169.254');
    expect(parseIp('::ffff:169.254.169.254')).toEqual(parseIp('169.254.169.254'));
    expect(parseIp('[::ffff:a9fe:a9fe]')).toEqual(parseIp('169.254.169.254'));
    expect(formatIp(parseIp('fe80:0:0:0:0:0:0:1%eth0')!)).toBe('fe80::1');
    expect(formatIp(parseIp('::1')!)).toBe('::1');
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', '1::2::3', 'localhost', '1:2:3:4:5:6:7:8:9', '']) expect(parseIp(bad), bad).toBeUndefined();
  });

  it('reads CIDR ranges and refuses bad prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefix: 8 });
    expect(parseCidr('fc00::/7')).toMatchObject({ family: 6, prefix: 7 });
    expect(parseCidr('10.0.0.1')).toMatchObject({ prefix: 32 });
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '300.0.0.0/8']) expect(parseCidr(bad), bad).toBeUndefined();
  });
});

describe('the outbound policy', () => {
  const url = (text: string): URL => new URL(text);
  const policy = OutboundPolicy.default();

  it('allows loopback and the private ranges by default, and nothing else', () => {
    for (const ok of ['http://127.0.0.1', 'http://[::1]', 'http://10.9.9.9', 'http://172.31.255.1', 'http://192.168.0.1', 'http://[fd12::1]', 'http://billing.internal']) expect(policy.refusalOfUrl(url(ok)), ok).toBeUndefined();
    for (const bad of ['http://8.8.8.8', 'http://172.32.0.1', 'http://0.0.0.0', 'http://[2001:db8::1]', 'http://[::]']) expect(policy.refusalOfUrl(url(bad)), bad).toMatch(/not allowed by --allow-outbound/);
  });

  it('never allows link-local addresses, whatever spelling or wide range, unless an entry inside them is listed', () => {
    for (const bad of ['http://169.254.169.254', 'http://2852039166', 'http://0xa9fea9fe', 'http://[::ffff:169.254.169.254]', 'http://[fe80::1]']) expect(policy.refusalOfUrl(url(bad)), bad).toMatch(/link-local/);
    const wide = OutboundPolicy.parse('0.0.0.0/0,::/0');
    expect(wide.refusalOfUrl(url('http://8.8.8.8'))).toBeUndefined();
    expect(wide.refusalOfUrl(url('http://169.254.169.254'))).toMatch(/link-local/);
    expect(wide.refusalOfConnection('metadata.example', '169.254.169.254')).toMatch(/metadata\.example resolved to 169\.254\.169\.254: a link-local/);
    // AWS's IPv6 metadata address lies in fc00::/7, which the default allows: refused all the same.
    expect(policy.refusalOfUrl(url('http://[fd00:ec2::254]'))).toMatch(/cloud metadata/);
    expect(policy.refusalOfUrl(url('http://[fd00:ec2::253]'))).toBeUndefined();
    expect(OutboundPolicy.parse('fd00:ec2::254/128').refusalOfUrl(url('http://[fd00:ec2::254]'))).toBeUndefined();
    const listed = OutboundPolicy.parse('169.254.169.254/32');
    expect(listed.refusalOfUrl(url('http://169.254.169.254'))).toBeUndefined();
    expect(listed.refusalOfUrl(url('http://169.254.169.253'))).toMatch(/link-local/);
  });

  it('checks the resolved address of a name at connect time; a listed name passes (but not to link-local)', () => {
    const tight = OutboundPolicy.parse('10.0.0.0/8, billing.internal, *.svc.cluster.local');
    expect(tight.refusalOfUrl(url('http://localhost:8080'))).toBeUndefined();
    expect(tight.refusalOfConnection('localhost', '127.0.0.1')).toMatch(/^localhost resolved to 127\.0\.0\.1: not allowed by --allow-outbound/);
    expect(tight.refusalOfConnection('localhost', '::ffff:10.1.1.1')).toBeUndefined();
    expect(tight.refusalOfConnection('billing.internal', '203.0.113.7')).toBeUndefined();
    expect(tight.refusalOfConnection('orders.jobs.svc.cluster.local', '203.0.113.7')).toBeUndefined();
    expect(tight.refusalOfConnection('svc.cluster.local', '203.0.113.7')).toMatch(/not allowed/);
    expect(tight.refusalOfConnection('billing.internal', '169.254.169.254')).toMatch(/link-local/);
    expect(tight.refusalOfConnection('127.0.0.1', '127.0.0.1')).toMatch(/^127\.0\.0\.1: not allowed/);
  });

  it('refuses a list entry that is neither a range, an address nor a host name, naming it', () => {
    expect(() => OutboundPolicy.parse('10.0.0.0/8,10.0.0.0/40', '--allow-outbound / X')).toThrow('--allow-outbound / X: "10.0.0.0/40" is not a CIDR range');
    expect(() => OutboundPolicy.parse('bad host!')).toThrow(/"bad host!" is not a host name/);
    expect(OutboundPolicy.parse('').describe()).toContain('127.0.0.0/8');
  });
});
