// Which app may invoke which app's methods (invoke targets), in the shape of Dapr's Configuration
// resource (spec.accessControl: defaultAction, trustDomain, policies of appId, defaultAction,
// trustDomain, namespace and operations of name, httpVerb, action). In Dapr the called app's
// sidecar applies its own Configuration; here one file holds a Configuration per called app:
// `metadata.namespace` (default "default") and `scopes` (app ids; none: every app of that
// namespace without a Configuration of its own) say which apps it protects.
//
// The decision follows Dapr's documented rules and its runtime where the docs are silent
// (docs/security.md "Access control between apps"):
//   no accessControl, or neither defaultAction nor policies     -> allow
//   the global default is defaultAction, else deny when policies exist
//   no policy for the caller's app id in the caller's namespace -> global default
//   the policy's trustDomain is not the caller's                -> global default
//   the policy's defaultAction (when set) replaces the global default, then
//   the operation matching the path (below), if any:
//     its action for the verb, else for "*", else the default stands
// Operations are matched as Dapr's runtime does, segment by segment from the root: HTTP paths
// compare without regard to case; among operations at the same place the first listed that
// matches wins; "*" alone matches one last segment (and "/op/*" also "/op"), "**" everything
// below, "v1*" part of a segment; an operation without a wildcard also covers the paths below it.
// Duetime's callers carry no SPIFFE identity: every one is in trust domain "public", Dapr's default.

export type AclAction = 'allow' | 'deny';

interface Operation {
  name: string;
  /** HTTP verb (upper case, or "*") -> action. */
  verbs: Map<string, AclAction>;
}

/** One segment of the operations' tree; children in the order the operations are listed. */
interface OperationNode {
  segment: string;
  operation?: Operation;
  children: OperationNode[];
}

interface Policy {
  appId: string;
  trustDomain: string;
  namespace: string;
  defaultAction?: AclAction;
  operations: OperationNode;
}

interface Configuration {
  /** "Configuration "billing-acl" (policy.yaml document 1)", for messages. */
  label: string;
  namespace: string;
  scopes?: string[];
  accessControl?: { defaultAction?: AclAction; policies: Policy[] };
}

export interface InvokeCall {
  callerNamespace: string;
  callerAppId: string;
  targetNamespace: string;
  targetAppId: string;
  /** Upper case: GET, POST... */
  verb: string;
  /** Starts with "/". */
  path: string;
}

export interface AccessDecision {
  allowed: boolean;
  /** Which rule decided, for messages. */
  reason: string;
}

/** Every caller's trust domain: Duetime has no SPIFFE identities, Dapr's default applies. */
export const CALLER_TRUST_DOMAIN = 'public';
/** The verbs of Dapr's HTTPExtension, written as Dapr compares them (upper case). */
const HTTP_VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

export class AccessControl {
  private constructor(private readonly configurations: Configuration[]) {}

  /**
   * Reads Configuration documents as parsed from YAML or JSON; throws an Error starting
   * `${source}: ` that names the document and field at fault and the fix.
   */
  static parse(documents: unknown[], source: string): AccessControl {
    const configurations = documents.flatMap((doc, i) => (doc === null || doc === undefined ? [] : [readConfiguration(doc, `${source}: document ${i + 1}`)]));
    const seen = new Map<string, string>();
    for (const c of configurations) {
      for (const app of c.scopes ?? ['*']) {
        const k = `${c.namespace}\u0000${app}`;
        const earlier = seen.get(k);
        if (earlier) throw new Error(`${c.label}: ${app === '*' ? 'a second Configuration without scopes' : `app "${app}" is already protected by ${earlier}`} in namespace "${c.namespace}"; give each app one Configuration`);
        seen.set(k, c.label);
      }
    }
    return new AccessControl(configurations);
  }

  /** The decision for a call, or undefined when no Configuration protects the target app. */
  decide(call: InvokeCall): AccessDecision | undefined {
    const inNamespace = this.configurations.filter((c) => c.namespace === call.targetNamespace);
    const config = inNamespace.find((c) => c.scopes?.includes(call.targetAppId)) ?? inNamespace.find((c) => c.scopes === undefined);
    if (!config) return undefined;
    const acl = config.accessControl;
    if (!acl || (acl.defaultAction === undefined && acl.policies.length === 0)) return { allowed: true, reason: `${config.label} has no accessControl rules` };
    const globalAction = acl.defaultAction ?? 'deny';
    const global = (why: string): AccessDecision => ({ allowed: globalAction === 'allow', reason: `${why}; ${config.label}'s defaultAction is ${globalAction}${acl.defaultAction ? '' : ' (unset with policies present)'}` });
    const policy = acl.policies.find((p) => p.appId === call.callerAppId && p.namespace === call.callerNamespace);
    if (!policy) return global(`no policy for app "${call.callerAppId}" in namespace "${call.callerNamespace}"`);
    if (policy.trustDomain !== CALLER_TRUST_DOMAIN) return global(`the policy for "${call.callerAppId}" names trust domain "${policy.trustDomain}", callers are in "${CALLER_TRUST_DOMAIN}"`);
    const defaultAction = policy.defaultAction ?? globalAction;
    const byDefault = (why: string): AccessDecision => ({
      allowed: defaultAction === 'allow',
      reason: `${why}; the policy for "${call.callerAppId}" in ${config.label} defaults to ${defaultAction}${policy.defaultAction ? '' : ' (the global default)'}`,
    });
    const operation = findOperation(policy.operations, normalisedPath(call.path));
    if (!operation) return byDefault(`no operation matches ${call.path}`);
    const action = operation.verbs.get(call.verb) ?? operation.verbs.get('*');
    if (!action) return byDefault(`operation "${operation.name}" does not list ${call.verb}`);
    return { allowed: action === 'allow', reason: `operation "${operation.name}" (${[...operation.verbs.keys()].join(', ')}) of the policy for "${call.callerAppId}" in ${config.label} says ${action} for ${call.verb}` };
  }
}

/** HTTP paths compare without regard to case; empty segments (a doubled or trailing slash) are dropped, as Dapr's normalisation does. */
function normalisedPath(path: string): string[] {
  return path
    .toLowerCase()
    .split('/')
    .filter((s) => s !== '');
}

/** Segments of an operation name as written ("/" prefixed when missing, lower case for HTTP). */
function operationSegments(name: string): string[] {
  return (name.startsWith('/') ? name : `/${name}`).toLowerCase().split('/').slice(1);
}

/** Adds an operation to the tree; the first operation listed for a name keeps it. */
function addOperation(root: OperationNode, operation: Operation): void {
  let node = root;
  for (const segment of operationSegments(operation.name)) {
    let child = node.children.find((c) => c.segment === segment);
    if (!child) {
      child = { segment, children: [] };
      node.children.push(child);
    }
    node = child;
  }
  node.operation ??= operation;
}

/**
 * The child a path segment leads to: the first, in listed order, that is the same segment, "**",
 * a "*" when it is the last segment, or a pattern with * inside matching it.
 */
function childFor(node: OperationNode, segment: string, last: boolean): OperationNode | undefined {
  for (const child of node.children) {
    if (child.segment === segment || child.segment === '**') return child;
    if (child.segment === '*') {
      if (last) return child;
      continue;
    }
    if (child.segment.includes('*') && globMatches(child.segment, segment)) return child;
  }
  return undefined;
}

/** Walks the path down the tree: an operation reached on the way decides (but "*" only at the end). */
function findOperation(root: OperationNode, path: string[]): Operation | undefined {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    const child = childFor(node, path[i]!, last);
    if (!child) return undefined;
    if (child.operation && (last || child.segment !== '*')) return child.operation;
    if (last) return childFor(child, '*', true)?.operation;
    node = child;
  }
  return undefined;
}

/** `*` in a pattern stands for any run of characters, none included. */
function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  const regex = new RegExp(`^${parts.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return regex.test(text);
}

// ---- reading the documents ----

type Doc = Record<string, unknown>;

function readConfiguration(raw: unknown, where: string): Configuration {
  const doc = object(raw, where, 'the document', 'a Configuration: {apiVersion: dapr.io/v1alpha1, kind: Configuration, metadata, spec: {accessControl}}');
  if (doc.kind !== 'Configuration') fail(where, 'kind', `must be "Configuration" (Dapr's resource), not ${JSON.stringify(doc.kind)}`);
  const metadata = doc.metadata === undefined ? {} : object(doc.metadata, where, 'metadata', 'an object with name and namespace');
  const name = metadata.name === undefined ? '' : text(metadata.name, where, 'metadata.name');
  const namespace = metadata.namespace === undefined ? 'default' : text(metadata.namespace, where, 'metadata.namespace');
  const label = `Configuration ${name ? `"${name}" ` : ''}(${where.replace(/^(.*): /, '$1 ')})`;
  let scopes: string[] | undefined;
  if (doc.scopes !== undefined) {
    if (!Array.isArray(doc.scopes) || doc.scopes.length === 0 || !doc.scopes.every((s) => typeof s === 'string' && s !== '')) {
      fail(where, 'scopes', 'must be a non-empty list of the app ids this Configuration protects (leave it out for every app of the namespace)');
    }
    scopes = doc.scopes as string[];
  }
  const spec = doc.spec === undefined ? {} : object(doc.spec, where, 'spec', 'an object holding accessControl');
  const accessControl = spec.accessControl === undefined || spec.accessControl === null ? undefined : readAccessControl(spec.accessControl, where);
  return { label, namespace, ...(scopes ? { scopes } : {}), ...(accessControl ? { accessControl } : {}) };
}

function readAccessControl(raw: unknown, where: string): NonNullable<Configuration['accessControl']> {
  const field = 'spec.accessControl';
  const acl = object(raw, where, field, 'an object with defaultAction, trustDomain and policies');
  onlyKeys(acl, ['defaultAction', 'trustDomain', 'policies'], where, field);
  const defaultAction = acl.defaultAction === undefined || acl.defaultAction === '' ? undefined : action(acl.defaultAction, where, `${field}.defaultAction`);
  if (acl.trustDomain !== undefined) text(acl.trustDomain, where, `${field}.trustDomain`);
  if (acl.policies !== undefined && acl.policies !== null && !Array.isArray(acl.policies)) fail(where, `${field}.policies`, 'must be a list of policies, one per calling app');
  const policies: Policy[] = [];
  const written = new Map<string, string>();
  ((acl.policies as unknown[] | undefined | null) ?? []).forEach((raw, i) => {
    const at = `${field}.policies[${i}]`;
    const policy = readPolicy(raw, where, at);
    // Dapr keeps one policy per app id and namespace (a later one silently replaces an earlier one): refused here.
    const key = `${policy.appId}\u0000${policy.namespace}`;
    const earlier = written.get(key);
    if (earlier) fail(where, at, `is a second policy for app "${policy.appId}" in namespace "${policy.namespace}" after ${earlier}; merge their operations into one`);
    written.set(key, at);
    policies.push(policy);
  });
  return { ...(defaultAction ? { defaultAction } : {}), policies };
}

function readPolicy(raw: unknown, where: string, field: string): Policy {
  const p = object(raw, where, field, 'an object with appId, defaultAction, trustDomain, namespace and operations');
  onlyKeys(p, ['appId', 'defaultAction', 'trustDomain', 'namespace', 'operations'], where, field);
  const appId = text(p.appId, where, `${field}.appId`);
  const defaultAction = p.defaultAction === undefined || p.defaultAction === '' ? undefined : action(p.defaultAction, where, `${field}.defaultAction`);
  // Dapr refuses a policy without its caller's trust domain or namespace; so does Duetime.
  if (typeof p.trustDomain !== 'string' || p.trustDomain === '') fail(where, `${field}.trustDomain`, 'must be the calling app\'s trust domain, as Dapr requires; Duetime\'s callers are all in "public": write trustDomain: public');
  if (typeof p.namespace !== 'string' || p.namespace === '') fail(where, `${field}.namespace`, 'must be the calling app\'s namespace, as Dapr requires, e.g. namespace: default');
  if (p.operations !== undefined && p.operations !== null && !Array.isArray(p.operations)) fail(where, `${field}.operations`, 'must be a list of {name, httpVerb, action}');
  const operations: OperationNode = { segment: '', children: [] };
  ((p.operations as unknown[] | undefined | null) ?? []).forEach((o, i) => addOperation(operations, readOperation(o, where, `${field}.operations[${i}]`)));
  return { appId, trustDomain: p.trustDomain as string, namespace: p.namespace as string, operations, ...(defaultAction ? { defaultAction } : {}) };
}

function readOperation(raw: unknown, where: string, field: string): Operation {
  const o = object(raw, where, field, 'an object with name, httpVerb and action');
  onlyKeys(o, ['name', 'httpVerb', 'action'], where, field);
  const name = text(o.name, where, `${field}.name`);
  // Dapr applies an operation to an HTTP call only through the verbs it lists; without any it would never apply.
  if (!Array.isArray(o.httpVerb) || o.httpVerb.length === 0) {
    fail(where, `${field}.httpVerb`, 'must list the HTTP verbs it applies to, such as [POST, PUT], or [\'*\'] for any (invocations are HTTP calls, where Dapr ignores an operation without verbs)');
  }
  // Dapr's action has no default (an empty one denies, though its docs say allow): it must be written.
  if (o.action === undefined || o.action === '') fail(where, `${field}.action`, 'must be allow or deny');
  const act = action(o.action, where, `${field}.action`);
  const verbs = new Map<string, AclAction>();
  for (const v of o.httpVerb as unknown[]) {
    // Dapr compares verbs as written with upper-case names: "post" would never match there.
    if (typeof v !== 'string' || (v !== '*' && !HTTP_VERBS.includes(v))) {
      const hint = typeof v === 'string' && HTTP_VERBS.includes(v.toUpperCase()) ? `write ${v.toUpperCase()}` : `use ${HTTP_VERBS.join(', ')} or '*'`;
      fail(where, `${field}.httpVerb`, `${JSON.stringify(v)} is not an HTTP verb as Dapr writes them; ${hint}`);
    }
    verbs.set(v as string, act);
  }
  return { name, verbs };
}

function object(value: unknown, where: string, field: string, want: string): Doc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, field, `must be ${want}`);
  return value as Doc;
}

function text(value: unknown, where: string, field: string): string {
  if (typeof value !== 'string' || value === '') fail(where, field, 'must be a non-empty string');
  return value as string;
}

function action(value: unknown, where: string, field: string): AclAction {
  const v = typeof value === 'string' ? value.toLowerCase() : value;
  if (v !== 'allow' && v !== 'deny') fail(where, field, `is ${JSON.stringify(value)}; use allow or deny`);
  return v as AclAction;
}

function onlyKeys(doc: Doc, allowed: string[], where: string, field: string): void {
  for (const key of Object.keys(doc)) {
    if (!allowed.includes(key)) fail(where, `${field}.${key}`, `is not a field of Dapr's accessControl here; use ${allowed.join(', ')}`);
  }
}

function fail(where: string, field: string, problem: string): never {
  throw new Error(`${where}: ${field} ${problem}`);
}
