// The outbound policy's settings as the server takes them (docs/security.md "Outbound policy"):
// --allow-outbound parsed into an OutboundPolicy, and the --access-control file read into an
// AccessControl. A bad entry or file fails the start naming the flag, its env twin, the file and
// the field.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { AccessControl } from '../core/model/access-control.js';
import { OutboundPolicy } from '../core/model/outbound-policy.js';
import { settingName, type DuetimeConfig } from './config.js';

export interface OutboundSettings {
  outbound: OutboundPolicy;
  /** The --access-control file's policies, when one is given. */
  accessControl?: AccessControl;
}

export function readOutboundSettings(config: DuetimeConfig): OutboundSettings {
  const path = config.accessControl;
  const accessControl = path ? startSetting(() => readAccessControlFile(path)) : undefined;
  return { outbound: outboundPolicyOf(config), ...(accessControl ? { accessControl } : {}) };
}

/** A setting read at start: its error becomes "cannot start: ..." (the server does not start). */
function startSetting<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new Error(`cannot start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** --allow-outbound, or the default list; throws "cannot start: --allow-outbound / ...: ..." for a bad entry. */
export function outboundPolicyOf(config: DuetimeConfig): OutboundPolicy {
  return startSetting(() => OutboundPolicy.parse(config.allowOutbound, settingName('allowOutbound')));
}

/**
 * Reads Dapr Configuration documents from a YAML file (several separated by ---) or a JSON file (one
 * document, or a list of them). Throws "--access-control (DUETIME_ACCESS_CONTROL): <file>: <field>..."
 * for a file that is not usable: at start that stops the server, on a reload the old policy stays.
 */
export function readAccessControlFile(path: string): AccessControl {
  const setting = settingName('accessControl');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${setting}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  try {
    const parsed = parseAllDocuments(text);
    const documents: unknown[] = [];
    for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
      if (doc.errors.length > 0) throw new Error(`${path}: not YAML or JSON: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJS();
      if (Array.isArray(value)) documents.push(...(value as unknown[]));
      else documents.push(value);
    }
    if (documents.every((d) => d === null || d === undefined)) throw new Error(`${path}: holds no Configuration; write at least one (docs/security.md shows one)`);
    return AccessControl.parse(documents, path);
  } catch (error) {
    throw new Error(`${setting}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
