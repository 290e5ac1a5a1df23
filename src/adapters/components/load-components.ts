import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ComponentConfigError } from './component-config-error.js';
import {
  isSupportedComponentType,
  SUPPORTED_COMPONENT_TYPES,
  type ComponentDescriptor,
} from './component-descriptor.js';

// Reads a components folder of Dapr component YAML files into descriptors. Every problem in
// every file is collected and reported together, each naming the file, the field and the fix,
// so a user fixes the folder in one round rather than one error per start.
//
// Secrets: `secretKeyRef: {name, key}` resolves from the environment variable named by
// `secretKeyRef.name` (as Dapr's local.env secret store does, where `key` repeats the name);
// `key` is accepted and not used. `auth.secretStore` is ignored: the environment is the only
// secret store.

export const COMPONENT_API_VERSION = 'dapr.io/v1alpha1';
const SUPPORTED_VERSION = 'v1';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,199}$/;

export interface LoadOptions {
  /** Where secretKeyRef values come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Every *.yaml and *.yml file directly in `dir` (not sub-folders), in name order. Documents of
 * another kind than Component (Dapr's Subscription, Configuration, Resiliency...) are skipped.
 * Throws ComponentConfigError listing every problem.
 */
export async function loadComponents(dir: string, options: LoadOptions = {}): Promise<ComponentDescriptor[]> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new ComponentConfigError([`${dir}: components path does not exist; create it or fix --components-path`]);
  if (!info.isDirectory()) throw new ComponentConfigError([`${dir}: components path is not a folder; point --components-path at the folder holding the YAML files`]);

  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/i.test(f)).sort();
  const problems: string[] = [];
  const descriptors: ComponentDescriptor[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    const parsed = parseComponentFile(text, path, options.env ?? process.env);
    problems.push(...parsed.problems);
    descriptors.push(...parsed.components);
  }
  problems.push(...duplicateNames(descriptors));
  if (problems.length > 0) throw new ComponentConfigError(problems);
  return descriptors;
}

export interface ParsedFile {
  components: ComponentDescriptor[];
  problems: string[];
}

/** Parses one file's text (one or more YAML documents); `path` is only used in messages. */
export function parseComponentFile(text: string, path: string, env: NodeJS.ProcessEnv): ParsedFile {
  const result: ParsedFile = { components: [], problems: [] };
  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents)) {
    // An empty stream comes back as an EmptyStream object: no documents, nothing to load.
    return result;
  }
  documents.forEach((document, index) => {
    const where = documents.length > 1 ? `${path} (document ${index + 1})` : path;
    const yamlError = document.errors[0];
    if (yamlError !== undefined) {
      result.problems.push(`${where}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    const checked = checkDocument(value, where, env);
    if (checked === 'skip') return;
    if (Array.isArray(checked)) result.problems.push(...checked);
    else result.components.push(checked);
  });
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkDocument(doc: unknown, where: string, env: NodeJS.ProcessEnv): ComponentDescriptor | string[] | 'skip' {
  if (!isRecord(doc)) return [`${where}: expected a mapping with apiVersion, kind, metadata and spec`];
  if (doc.kind === undefined) return [`${where}: kind is missing; add kind: Component`];
  if (doc.kind !== 'Component') return 'skip';

  const problems: string[] = [];
  if (doc.apiVersion !== COMPONENT_API_VERSION) {
    problems.push(
      doc.apiVersion === undefined
        ? `${where}: apiVersion is missing; add apiVersion: ${COMPONENT_API_VERSION}`
        : `${where}: apiVersion is ${JSON.stringify(doc.apiVersion)}; use apiVersion: ${COMPONENT_API_VERSION}`,
    );
  }

  const meta = doc.metadata;
  let name = '';
  let namespace: string | undefined;
  if (!isRecord(meta)) {
    problems.push(`${where}: metadata is missing; add metadata: {name: <component name>}`);
  } else if (typeof meta.name !== 'string' || meta.name.trim() === '') {
    problems.push(`${where}: metadata.name is missing; add the name jobs use to target this component`);
  } else if (!NAME_PATTERN.test(meta.name)) {
    problems.push(`${where}: metadata.name "${meta.name}" is not a valid name; use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  } else {
    name = meta.name;
    if (typeof meta.namespace === 'string') namespace = meta.namespace;
  }

  const spec = doc.spec;
  if (!isRecord(spec)) {
    problems.push(`${where}: spec is missing; add spec with type, version and metadata`);
    return problems;
  }
  const type = spec.type;
  if (typeof type !== 'string' || type.trim() === '') {
    problems.push(`${where}: spec.type is missing; use one of ${SUPPORTED_COMPONENT_TYPES.join(', ')}`);
  } else if (!isSupportedComponentType(type)) {
    problems.push(`${where}: spec.type "${type}" is not supported; supported types: ${SUPPORTED_COMPONENT_TYPES.join(', ')}`);
  }
  const version = spec.version;
  if (version === undefined || version === null || String(version).trim() === '') {
    problems.push(`${where}: spec.version is missing; add version: ${SUPPORTED_VERSION}`);
  } else if (String(version) !== SUPPORTED_VERSION) {
    problems.push(`${where}: spec.version "${String(version)}" is not supported; use version: ${SUPPORTED_VERSION}`);
  }

  const metadata = readMetadata(spec.metadata, where, env, problems);
  const scopes = readScopes(doc.scopes, where, problems);

  if (problems.length > 0 || typeof type !== 'string' || !isSupportedComponentType(type)) return problems;
  return { name, type, version: String(version), metadata, source: where, scopes, ...(namespace ? { namespace } : {}) };
}

function readMetadata(list: unknown, where: string, env: NodeJS.ProcessEnv, problems: string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (list === undefined || list === null) return metadata;
  if (!Array.isArray(list)) {
    problems.push(`${where}: spec.metadata must be a list of {name, value} entries`);
    return metadata;
  }
  list.forEach((item: unknown, i) => {
    const at = `${where}: spec.metadata[${i}]`;
    if (!isRecord(item) || typeof item.name !== 'string' || item.name.trim() === '') {
      problems.push(`${at} has no name; each entry needs name: and value: (or secretKeyRef:)`);
      return;
    }
    const field = `${at} (${item.name})`;
    if (item.name in metadata) {
      problems.push(`${field} repeats a name already set above; keep one entry per name`);
      return;
    }
    const hasValue = item.value !== undefined && item.value !== null;
    const ref = item.secretKeyRef;
    if (hasValue && ref !== undefined) {
      problems.push(`${field} has both value and secretKeyRef; keep one`);
    } else if (hasValue) {
      if (typeof item.value === 'string' || typeof item.value === 'number' || typeof item.value === 'boolean') {
        metadata[item.name] = String(item.value);
      } else {
        problems.push(`${field} value must be a string, number or boolean; quote it if it is text`);
      }
    } else if (ref !== undefined) {
      if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name.trim() === '') {
        problems.push(`${field} secretKeyRef needs name: the environment variable holding the secret`);
        return;
      }
      const secret = env[ref.name];
      if (secret === undefined) {
        problems.push(`${field} secretKeyRef names environment variable ${ref.name}, which is not set; set it before starting Duetime`);
        return;
      }
      metadata[item.name] = secret;
    } else {
      problems.push(`${field} has neither value nor secretKeyRef; add value: or secretKeyRef: {name: ENV_VAR}`);
    }
  });
  return metadata;
}

function readScopes(scopes: unknown, where: string, problems: string[]): string[] {
  if (scopes === undefined || scopes === null) return [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
    problems.push(`${where}: scopes must be a list of app ids`);
    return [];
  }
  return scopes as string[];
}

function duplicateNames(descriptors: ComponentDescriptor[]): string[] {
  const seen = new Map<string, ComponentDescriptor>();
  const problems: string[] = [];
  for (const d of descriptors) {
    const first = seen.get(d.name);
    if (first) problems.push(`${d.source}: metadata.name "${d.name}" is already used by ${first.source}; component names must be unique`);
    else seen.set(d.name, d);
  }
  return problems;
}
