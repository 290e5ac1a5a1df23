// The server edge's settings as the servers take them (docs/security.md): durations in ms, PEM
// files read, tokens read from their files, the Host names the HTTP API answers to, and the log
// paths that never show a secret.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { rootCertificates } from 'node:tls';
import { parseGoDuration } from '../core/schedule/index.js';
import { settingName, type DuetimeConfig } from './config.js';

export interface EdgeSettings {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsCheckingIntervalMs: number;
  maxConnectionsPerClient: number;
  grpcKeepaliveTimeMs: number;
  grpcKeepaliveTimeoutMs: number;
  grpcMaxConnectionIdleMs: number;
  grpcMaxConnectionAgeMs: number;
  grpcMaxConcurrentStreams: number;
  /** Served on every port when set. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Trusted for https app URLs: the system's roots plus --app-tls-ca. */
  appCa?: Array<string | Buffer>;
  apiToken?: string;
  appApiToken?: string;
  /** Host header names the HTTP API accepts besides IP literals and localhost; '*' for any. */
  allowedHosts: '*' | string[];
  corsOrigins: string[];
}

/** Pino redact paths: tokens in request headers, registrations, config objects. */
export const SECRET_LOG_PATHS = [
  'req.headers["dapr-api-token"]',
  'req.headers.authorization',
  'headers["dapr-api-token"]',
  'headers.authorization',
  'token',
  '*.token',
  'apiToken',
  'appApiToken',
  '*.apiToken',
  '*.appApiToken',
];

export function readEdgeSettings(config: DuetimeConfig): EdgeSettings {
  const ms = (key: keyof DuetimeConfig): number => {
    const value = config[key];
    try {
      return parseGoDuration(String(value));
    } catch (error) {
      throw new Error(`${settingName(key)} "${String(value)}" is not a duration such as 10s or 5m: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) throw new Error(`${settingName('tlsCert')} and ${settingName('tlsKey')} go together: set both or neither`);
  if (config.tlsClientCa && !config.tlsCert) throw new Error(`${settingName('tlsClientCa')} needs ${settingName('tlsCert')} and ${settingName('tlsKey')}`);
  const apiToken = secret(config.apiToken, config.apiTokenFile, 'apiToken', 'apiTokenFile');
  const appApiToken = secret(config.appApiToken, config.appApiTokenFile, 'appApiToken', 'appApiTokenFile');
  return {
    requestTimeoutMs: ms('requestTimeout'),
    headersTimeoutMs: ms('headersTimeout'),
    keepAliveTimeoutMs: ms('keepAliveTimeout'),
    connectionsCheckingIntervalMs: Math.max(1, ms('connectionsCheckingInterval')),
    maxConnectionsPerClient: Math.max(1, config.maxConnectionsPerClient),
    grpcKeepaliveTimeMs: ms('grpcKeepaliveTime'),
    grpcKeepaliveTimeoutMs: ms('grpcKeepaliveTimeout'),
    grpcMaxConnectionIdleMs: ms('grpcMaxConnectionIdle'),
    grpcMaxConnectionAgeMs: ms('grpcMaxConnectionAge'),
    grpcMaxConcurrentStreams: Math.max(1, config.grpcMaxConcurrentStreams),
    ...(config.tlsCert && config.tlsKey
      ? {
          tls: {
            cert: pemFile(config.tlsCert, 'tlsCert'),
            key: pemFile(config.tlsKey, 'tlsKey'),
            ...(config.tlsClientCa ? { clientCa: pemFile(config.tlsClientCa, 'tlsClientCa') } : {}),
          },
        }
      : {}),
    ...(config.appTlsCa ? { appCa: [...rootCertificates, pemFile(config.appTlsCa, 'appTlsCa')] } : {}),
    ...(apiToken !== undefined ? { apiToken } : {}),
    ...(appApiToken !== undefined ? { appApiToken } : {}),
    allowedHosts: allowedHosts(config),
    corsOrigins: list(config.corsOrigins),
  };
}

/** A token from its flag (or env twin) or from its file; never both. The message never holds the token. */
function secret(value: string | undefined, path: string | undefined, key: keyof DuetimeConfig, fileKey: keyof DuetimeConfig): string | undefined {
  if (path === undefined || path === '') return value === '' ? undefined : value;
  if (value) throw new Error(`set ${settingName(key)} or ${settingName(fileKey)}, not both`);
  return tokenFile(path, fileKey);
}

/** --api-token-file read again on SIGHUP (app/token-reload.ts): the same checks and messages as at start. */
export function readApiTokenFile(path: string): string {
  return tokenFile(path, 'apiTokenFile');
}

function tokenFile(path: string, fileKey: keyof DuetimeConfig): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${settingName(fileKey)}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const token = text.replace(/\r?\n$/, '');
  if (token === '' || /[\r\n]/.test(token)) throw new Error(`${settingName(fileKey)}: ${path} must hold one token on one line`);
  return token;
}

function pemFile(path: string, key: keyof DuetimeConfig): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${settingName(key)}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * The names the HTTP API answers to: --allowed-hosts, plus --host (unless a wildcard),
 * --advertise-url's host and this machine's name. IP literals and localhost are always accepted
 * (browser-guard.ts); `*` anywhere in the list accepts any Host.
 */
function allowedHosts(config: DuetimeConfig): '*' | string[] {
  const given = list(config.allowedHosts);
  if (given.includes('*')) return '*';
  const names = [...given, hostname()];
  if (!['0.0.0.0', '::', ''].includes(config.host)) names.push(config.host);
  if (config.advertiseUrl) {
    try {
      names.push(new URL(config.advertiseUrl).hostname);
    } catch {
      // An unparsable advertise URL is reported where it is used.
    }
  }
  return names.map((n) => n.toLowerCase());
}
