// The optional YAML config file: apps to register at start and API tokens bound to apps.
//
//   apps:
//     - appId: orders
//       url: http://127.0.0.1:8080
//       namespace: default      # optional
//       actorTypes: [Cart]      # optional
//       token: s3cret           # optional, sent as dapr-api-token on callbacks
//   tokens:
//     - token: orders-token
//       appId: orders           # callers with this token act as this app only

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface FileApp {
  appId: string;
  namespace?: string;
  url: string;
  actorTypes?: string[];
  token?: string;
}

export interface FileToken {
  token: string;
  appId?: string;
  namespace?: string;
}

export interface ConfigFile {
  apps: FileApp[];
  tokens: FileToken[];
}

export function readConfigFile(path: string): ConfigFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`config file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const doc = (raw ?? {}) as Record<string, unknown>;
  const apps = list(doc.apps, path, 'apps').map((entry, i) => {
    const where = `${path}: apps[${i}]`;
    if (typeof entry.appId !== 'string' || !entry.appId) throw new Error(`${where}.appId must be a non-empty string`);
    if (typeof entry.url !== 'string' || !/^https?:\/\//.test(entry.url)) throw new Error(`${where}.url must be an http(s) URL`);
    return entry as unknown as FileApp;
  });
  const tokens = list(doc.tokens, path, 'tokens').map((entry, i) => {
    if (typeof entry.token !== 'string' || !entry.token) throw new Error(`${path}: tokens[${i}].token must be a non-empty string`);
    return entry as unknown as FileToken;
  });
  return { apps, tokens };
}

function list(value: unknown, path: string, field: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${path}: ${field} must be a list`);
  return value as Record<string, unknown>[];
}
