// Dapr's service-invocation access control (spec.accessControl of a Configuration), as Dapr's
// docs ("Apply access control list configuration for service invocation") and its runtime
// decide: the global default, the calling app's policy found by app id and namespace, its trust
// domain, then the operation (matched case-insensitively for HTTP, siblings in the order
// listed, "/op" also covering what lies below it) and its verbs.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AccessControl, type InvokeCall } from '../../../src/core/model/access-control.js';

const config = (accessControl: unknown, extra: Record<string, unknown> = {}): unknown => ({ kind: 'Configuration', metadata: { name: 'acl', namespace: 'default' }, ...extra, spec: { accessControl } });
const call = (over: Partial<InvokeCall> = {}): InvokeCall => ({ callerNamespace: 'default', callerAppId: 'orders', targetNamespace: 'default', targetAppId: 'billing', verb: 'POST', path: '/charges/1', ...over });
const policy = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ appId: 'orders', trustDomain: 'public', namespace: 'default', ...over });
const op = (name: string, action = 'allow', httpVerb: string[] = ['*']): Record<string, unknown> => ({ name, httpVerb, action });
const acl = (accessControl: unknown): AccessControl => AccessControl.parse([config(accessControl)], 'f');
const allowed = (control: AccessControl, over: Partial<InvokeCall> = {}): boolean | undefined => control.decide(call(over))?.allowed;

describe('access control: the defaults', () => {
  it('allows everything without rules; policies without a global defaultAction deny the unlisted', () => {
    expect(allowed(acl({}))).toBe(true);
    expect(allowed(acl({ trustDomain: 'public' }))).toBe(true);
    const listed = acl({ policies: [policy({ defaultAction: 'allow' })] });
    expect(allowed(listed)).toBe(true);
    expect(listed.decide(call({ callerAppId: 'shipping' }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/no policy for app "shipping"/) });
    expect(allowed(acl({ defaultAction: 'allow', policies: [policy({ defaultAction: 'deny' })] }), { callerAppId: 'shipping' })).toBe(true);
  });

  it('finds the caller\'s policy by app id and namespace (Dapr scenario 5: one app id, two namespaces)', () => {
    const control = acl({
      defaultAction: 'allow',
      policies: [policy({ appId: 'app1', namespace: 'ns1', defaultAction: 'allow' }), policy({ appId: 'app1', namespace: 'ns2', defaultAction: 'deny' })],
    });
    expect(allowed(control, { callerAppId: 'app1', callerNamespace: 'ns1' })).toBe(true);
    expect(allowed(control, { callerAppId: 'app1', callerNamespace: 'ns2' })).toBe(false);
    expect(allowed(control, { callerAppId: 'app1', callerNamespace: 'ns3' })).toBe(true);
  });

  it('applies the global default when the caller is in another namespace or trust domain', () => {
    const control = acl({ defaultAction: 'deny', policies: [policy({ namespace: 'prod', defaultAction: 'allow' }), policy({ appId: 'audit', trustDomain: 'corp', defaultAction: 'allow' })] });
    expect(allowed(control)).toBe(false);
    expect(allowed(control, { callerNamespace: 'prod' })).toBe(true);
    expect(control.decide(call({ callerAppId: 'audit' }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/trust domain "corp"/) });
  });

  it('falls back to the global default when a matched policy has no defaultAction', () => {
    const control = acl({ defaultAction: 'allow', policies: [policy({ operations: [op('/admin', 'deny')] })] });
    expect(allowed(control, { path: '/admin' })).toBe(false);
    expect(allowed(control, { path: '/charges/1' })).toBe(true);
  });
});

describe('access control: operations and verbs', () => {
  const only = (...operations: Array<Record<string, unknown>>): AccessControl => acl({ defaultAction: 'deny', policies: [policy({ defaultAction: 'deny', operations })] });

  it('a verb listed, else "*", takes the operation\'s action; no verb match leaves the policy default', () => {
    const control = only(op('/charges/*', 'allow', ['POST', 'PUT']));
    expect(allowed(control, { verb: 'POST' })).toBe(true);
    expect(allowed(control, { verb: 'PUT' })).toBe(true);
    expect(control.decide(call({ verb: 'DELETE' }))).toMatchObject({ allowed: false, reason: expect.stringMatching(/does not list DELETE/) });
    const open = acl({ defaultAction: 'deny', policies: [policy({ defaultAction: 'allow', operations: [op('/charges/*', 'deny', ['DELETE'])] })] });
    expect(allowed(open, { verb: 'DELETE' })).toBe(false);
    expect(allowed(open, { verb: 'POST' })).toBe(true);
  });

  it('"/op/*" covers one segment below /op and /op itself; "/op/**" every depth', () => {
    const one = only(op('/op1/*'));
    expect(allowed(one, { path: '/op1/x' })).toBe(true);
    expect(allowed(one, { path: '/op1' })).toBe(true);
    expect(allowed(one, { path: '/op1/x/y' })).toBe(false);
    const deep = only(op('/op1/**'));
    expect(allowed(deep, { path: '/op1/x/y/z' })).toBe(true);
  });

  it('an operation without a wildcard also covers the paths below it, as in Dapr', () => {
    const control = only(op('/op1'));
    expect(allowed(control, { path: '/op1' })).toBe(true);
    expect(allowed(control, { path: '/op1/sub/path' })).toBe(true);
    expect(allowed(control, { path: '/op10' })).toBe(false);
  });

  it('matches a * inside a segment', () => {
    const control = only(op('/v1*/status', 'allow', ['GET']));
    expect(allowed(control, { path: '/v1beta/status', verb: 'GET' })).toBe(true);
    expect(allowed(control, { path: '/v2/status', verb: 'GET' })).toBe(false);
  });

  it('compares HTTP paths without regard to case, after removing empty segments', () => {
    const control = only(op('/Charges/Refund', 'allow', ['POST']));
    expect(allowed(control, { path: '/charges/refund' })).toBe(true);
    expect(allowed(control, { path: '/CHARGES//REFUND/' })).toBe(true);
  });

  it('among operations at the same place, the first listed that matches wins (list exact names first)', () => {
    const wildcardFirst = only(op('/charges/*', 'allow'), op('/charges/refund', 'deny'));
    expect(allowed(wildcardFirst, { path: '/charges/refund' })).toBe(true);
    const exactFirst = only(op('/charges/refund', 'deny'), op('/charges/*', 'allow'));
    expect(allowed(exactFirst, { path: '/charges/refund' })).toBe(false);
    expect(allowed(exactFirst, { path: '/charges/7' })).toBe(true);
  });
});

describe('access control: which Configuration protects which app (Duetime: scopes)', () => {
  it('protects the apps in scopes, else every app of its namespace; none applies elsewhere', () => {
    const control = AccessControl.parse([config({ defaultAction: 'deny' }, { scopes: ['billing'] }), config({ defaultAction: 'allow' })], 'f');
    expect(allowed(control)).toBe(false);
    expect(allowed(control, { targetAppId: 'shipping' })).toBe(true);
    expect(control.decide(call({ targetNamespace: 'other', callerNamespace: 'other' }))).toBeUndefined();
  });
});

describe('access control: reading the documents', () => {
  const fails = (accessControl: unknown): (() => AccessControl) => () => acl(accessControl);

  it('refuses what Dapr refuses or would read differently, naming the field and the fix', () => {
    expect(() => AccessControl.parse([config({ defaultAction: 'maybe' })], 'p.yaml')).toThrow('p.yaml: document 1: spec.accessControl.defaultAction is "maybe"; use allow or deny');
    expect(fails({ policies: [{ appId: 'a', trustDomain: 'public' }] })).toThrow(/policies\[0\]\.namespace must be .*namespace: default/);
    expect(fails({ policies: [{ appId: 'a', namespace: 'default' }] })).toThrow(/policies\[0\]\.trustDomain must be .*trustDomain: public/);
    expect(fails({ policies: [policy({ operations: [{ name: '/x', httpVerbs: ['GET'], action: 'allow' }] })] })).toThrow(/policies\[0\]\.operations\[0\]\.httpVerbs is not a field/);
    expect(fails({ policies: [policy({ operations: [{ name: '/x', action: 'allow' }] })] })).toThrow(/operations\[0\]\.httpVerb must list/);
    expect(fails({ policies: [policy({ operations: [op('/x', 'allow', ['get'])] })] })).toThrow(/operations\[0\]\.httpVerb "get" .*GET/);
    expect(fails({ policies: [policy({ operations: [{ name: '/x', httpVerb: ['GET'] }] })] })).toThrow(/operations\[0\]\.action must be allow or deny/);
    expect(fails({ policies: [policy(), policy({ defaultAction: 'deny' })] })).toThrow(/policies\[1\] .*"orders" in namespace "default" .*policies\[0\]/);
    expect(() => AccessControl.parse([{ kind: 'Component' }], 'p')).toThrow(/kind must be "Configuration"/);
    expect(() => AccessControl.parse([config({}), config({})], 'p')).toThrow(/a second Configuration without scopes/);
  });

  it('prefixes an operation name without a leading slash, as Dapr does', () => {
    const control = acl({ defaultAction: 'deny', policies: [policy({ operations: [op('charges/*')] })] });
    expect(allowed(control)).toBe(true);
  });

  it('reads the documented example', () => {
    const doc = parse(`apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: billing-acl
scopes: [billing]
spec:
  accessControl:
    defaultAction: deny
    trustDomain: public
    policies:
      - appId: orders
        defaultAction: deny
        trustDomain: public
        namespace: default
        operations:
          - name: /charges/refund
            httpVerb: ['*']
            action: deny
          - name: /charges/*
            httpVerb: [POST]
            action: allow
`) as unknown;
    const control = AccessControl.parse([doc], 'f');
    expect(allowed(control)).toBe(true);
    expect(allowed(control, { verb: 'DELETE' })).toBe(false);
    expect(allowed(control, { path: '/charges/refund' })).toBe(false);
    expect(allowed(control, { callerAppId: 'shipping' })).toBe(false);
  });
});
