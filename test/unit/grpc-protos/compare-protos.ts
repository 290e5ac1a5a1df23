// Structural comparison of two protobufjs roots: what makes two definitions agree on the wire
// (and in the names generated clients use). Every difference becomes one line that says where
// it is and what each side declares, so a failing test reads as a list of fixes.

import protobuf from 'protobufjs';

/**
 * Names Dapr gave the jobs API when it became stable (dapr/dapr master, Dapr 1.18), which the
 * @dapr/dapr 3.18 files predate. Each maps to the Alpha1 name it mirrors in those files; the
 * comparison holds the stable declaration to the Alpha1 one, field for field.
 */
export interface Twins {
  /** Our method name -> Dapr's method name in the same service. */
  methods: Record<string, string>;
  /** Our message full name (no leading dot) -> Dapr's message full name. */
  messages: Record<string, string>;
  /**
   * Fields Duetime adds on purpose, as "message.full.Name.field_name": accepted while Dapr's
   * message has no field of that name or number (a Dapr peer skips it as an unknown field).
   */
  extensions?: string[];
}

const NO_TWINS: Twins = { methods: {}, messages: {} };

const name = (reflection: protobuf.ReflectionObject): string => reflection.fullName.replace(/^\./, '');

/** Compares a service we declare with Dapr's service of the same name. */
export function compareService(
  ours: protobuf.Root,
  dapr: protobuf.Root,
  serviceName: string,
  options: { twins?: Twins; only?: (method: string) => boolean } = {},
): string[] {
  const twins = options.twins ?? NO_TWINS;
  const only = options.only ?? (() => true);
  const problems: string[] = [];
  const ourService = ours.lookupService(serviceName);
  const daprService = dapr.lookup(serviceName);
  if (!(daprService instanceof protobuf.Service)) return [`service ${serviceName}: not declared by Dapr`];

  for (const method of ourService.methodsArray) {
    const where = `rpc ${serviceName}/${method.name}`;
    const daprName = daprService.methods[method.name] ? method.name : twins.methods[method.name];
    const theirs = daprName === undefined ? undefined : daprService.methods[daprName];
    if (!theirs) {
      problems.push(`${where}: not declared by Dapr, and not a known stable twin of an Alpha1 method`);
      continue;
    }
    const against = daprName === method.name ? '' : ` (compared with Dapr's ${daprName})`;
    const ourRequest = name(method.resolvedRequestType!);
    const ourResponse = name(method.resolvedResponseType!);
    const expectRequest = name(theirs.resolvedRequestType!);
    const expectResponse = name(theirs.resolvedResponseType!);
    if ((twins.messages[ourRequest] ?? ourRequest) !== expectRequest) {
      problems.push(`${where}${against}: request type is ${ourRequest}, Dapr's is ${expectRequest}`);
    }
    if ((twins.messages[ourResponse] ?? ourResponse) !== expectResponse) {
      problems.push(`${where}${against}: response type is ${ourResponse}, Dapr's is ${expectResponse}`);
    }
    if (Boolean(method.requestStream) !== Boolean(theirs.requestStream)) {
      problems.push(`${where}${against}: client streaming is ${Boolean(method.requestStream)}, Dapr's is ${Boolean(theirs.requestStream)}`);
    }
    if (Boolean(method.responseStream) !== Boolean(theirs.responseStream)) {
      problems.push(`${where}${against}: server streaming is ${Boolean(method.responseStream)}, Dapr's is ${Boolean(theirs.responseStream)}`);
    }
  }

  // The other way round: every method of Dapr's in scope must be ours too.
  const declared = new Set([...ourService.methodsArray.map((m) => m.name), ...Object.values(twins.methods)]);
  for (const method of daprService.methodsArray) {
    if (only(method.name) && !declared.has(method.name)) {
      problems.push(`rpc ${serviceName}/${method.name}: declared by Dapr, missing from ours`);
    }
  }
  return problems;
}

/**
 * Compares every message and enum we declare (outside google.protobuf) with Dapr's of the same
 * full name, or with its twin, and recursively the types their fields use.
 */
export function compareDeclaredTypes(ours: protobuf.Root, dapr: protobuf.Root, twins: Twins = NO_TWINS): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const type of declaredTypes(ours)) {
    const ourName = name(type);
    const daprName = twins.messages[ourName] ?? ourName;
    const theirs = dapr.lookup(daprName);
    const label = daprName === ourName ? ourName : `${ourName} (compared with Dapr's ${daprName})`;
    if (!theirs) {
      problems.push(`${label}: not declared by Dapr`);
    } else {
      compareTypes(type, theirs, label, problems, seen, new Set(twins.extensions ?? []));
    }
  }
  return problems;
}

function declaredTypes(root: protobuf.Root): (protobuf.Type | protobuf.Enum)[] {
  const found: (protobuf.Type | protobuf.Enum)[] = [];
  const walk = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) found.push(nested);
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) {
        if (name(nested) !== 'google') walk(nested);
      }
    }
  };
  walk(root);
  return found;
}

function compareTypes(
  ours: protobuf.ReflectionObject,
  theirs: protobuf.ReflectionObject,
  label: string,
  problems: string[],
  seen: Set<string>,
  extensions: Set<string>,
): void {
  const key = `${name(ours)}=${name(theirs)}`;
  if (seen.has(key)) return;
  seen.add(key);
  if (ours instanceof protobuf.Enum && theirs instanceof protobuf.Enum) {
    compareEnums(ours, theirs, label, problems);
  } else if (ours instanceof protobuf.Type && theirs instanceof protobuf.Type) {
    compareMessages(ours, theirs, label, problems, seen, extensions);
  } else {
    problems.push(`${label}: ours is ${kind(ours)}, Dapr's is ${kind(theirs)}`);
  }
}

function kind(reflection: protobuf.ReflectionObject): string {
  if (reflection instanceof protobuf.Enum) return 'an enum';
  if (reflection instanceof protobuf.Type) return 'a message';
  return reflection.constructor.name;
}

function compareEnums(ours: protobuf.Enum, theirs: protobuf.Enum, label: string, problems: string[]): void {
  for (const [value, number] of Object.entries(ours.values)) {
    const expected = theirs.values[value];
    if (expected === undefined) problems.push(`enum ${label}: value ${value} = ${number} is not Dapr's`);
    else if (expected !== number) problems.push(`enum ${label}: ${value} is ${number}, Dapr's is ${expected}`);
  }
  for (const [value, number] of Object.entries(theirs.values)) {
    if (ours.values[value] === undefined) problems.push(`enum ${label}: missing Dapr's value ${value} = ${number}`);
  }
}

function compareMessages(
  ours: protobuf.Type,
  theirs: protobuf.Type,
  label: string,
  problems: string[],
  seen: Set<string>,
  extensions: Set<string>,
): void {
  for (const field of ours.fieldsArray) {
    const where = `message ${label}: field ${field.name}`;
    const match = theirs.fields[field.name];
    if (!match && extensions.has(`${name(ours)}.${field.name}`) && !theirs.fieldsArray.some((f) => f.id === field.id)) continue;
    if (!match) {
      const sameNumber = theirs.fieldsArray.find((f) => f.id === field.id);
      problems.push(`${where} = ${field.id} is not Dapr's${sameNumber ? ` (Dapr's field ${field.id} is ${sameNumber.name})` : ''}`);
      continue;
    }
    const facts: [string, unknown, unknown][] = [
      ['number', field.id, match.id],
      ['type', typeName(field), typeName(match)],
      ['repeated', field.repeated, match.repeated],
      ['map', field.map, match.map],
      ['map key type', mapKey(field), mapKey(match)],
      ['packed', field.packed, match.packed],
      ['oneof', field.partOf?.name ?? 'none', match.partOf?.name ?? 'none'],
    ];
    for (const [fact, mine, dapr] of facts) {
      if (mine !== dapr) problems.push(`${where}: ${fact} is ${String(mine)}, Dapr's is ${String(dapr)}`);
    }
    // Follow the field into the types it uses; Google's well-known types are shared, not ours.
    const ourType = field.resolvedType;
    const daprType = match.resolvedType;
    if (ourType && daprType && !name(ourType).startsWith('google.protobuf.') && name(ourType) === name(daprType)) {
      compareTypes(ourType, daprType, name(ourType), problems, seen, extensions);
    }
  }
  for (const field of theirs.fieldsArray) {
    if (!ours.fields[field.name]) problems.push(`message ${label}: missing Dapr's field ${field.name} = ${field.id}`);
  }
  for (const oneof of ours.oneofsArray) {
    if (!theirs.oneofs?.[oneof.name]) problems.push(`message ${label}: oneof ${oneof.name} is not Dapr's`);
  }
  for (const oneof of theirs.oneofsArray) {
    if (!ours.oneofs?.[oneof.name]) problems.push(`message ${label}: missing Dapr's oneof ${oneof.name}`);
  }
}

/** A field's type as a full name for messages and enums, else the scalar's name. */
function typeName(field: protobuf.Field): string {
  return field.resolvedType ? name(field.resolvedType) : field.type;
}

function mapKey(field: protobuf.Field): string {
  return field instanceof protobuf.MapField ? field.keyType : '-';
}
