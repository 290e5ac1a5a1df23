// Browser-facing safety (docs/security.md): a web page the user visits must not drive the API.
//
// - Host: a request must name this server (DNS rebinding points a foreign name at 127.0.0.1, and
//   the browser then sends that foreign name as Host). Accepted: IP literals (rebinding needs a
//   name), localhost and *.localhost, and the configured names; `*` accepts any.
// - Origin: browsers send it on every cross-site POST, PUT and DELETE, "simple" requests included.
//   A request with an Origin is served only from the same origin (host:port of the Host header,
//   e.g. the dashboard) or from an origin named in --cors-origins; other clients (SDKs, curl,
//   Dapr) send no Origin and are not affected.
// - CORS: headers and preflight answers only for the configured origins; none by default.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './error-mapping.js';
import { addRequestCheck } from './request-checks.js';

export interface BrowserPolicy {
  /** Host header names accepted besides IP literals and localhost; '*' accepts any. */
  allowedHosts: '*' | string[];
  /** Origins (scheme://host[:port]) allowed to call cross-site, with CORS headers. */
  corsOrigins: string[];
}

const CORS_METHODS = 'GET, POST, PUT, DELETE';
const CORS_HEADERS = 'content-type, dapr-api-token, authorization, dapr-app-id, dapr-namespace, traceparent';

/** application/json, with or without parameters, and application/*+json (CloudEvents). */
export function isJsonContentType(type: string | undefined): boolean {
  if (!type) return false;
  if (type === 'application/json') return true; // what nearly every request sends: no split or copies
  const essence = type.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

export function guardBrowsers(app: FastifyInstance, policy: BrowserPolicy): void {
  const names = policy.allowedHosts === '*' ? undefined : new Set(policy.allowedHosts.map((n) => n.toLowerCase()));
  const cors = new Set(policy.corsOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  const allowed = names ? hostCheck(names) : undefined;
  const check = (request: FastifyRequest, reply: FastifyReply): void => {
    const host = request.headers.host;
    if (allowed && host !== undefined && !allowed(host)) {
      void reply.status(403).send(errorBody('ERR_HOST_NOT_ALLOWED', `the Host "${host.slice(0, 200)}" is not a name of this server; add it to --allowed-hosts`));
      return;
    }
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const normalized = origin.toLowerCase();
    if (cors.has(normalized)) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        void reply
          .status(204)
          .header('access-control-allow-methods', CORS_METHODS)
          .header('access-control-allow-headers', CORS_HEADERS)
          .header('access-control-max-age', '600')
          .send();
      }
      return;
    }
    if (sameOrigin(normalized, host)) return;
    void reply.status(403).send(errorBody('ERR_ORIGIN_NOT_ALLOWED', `requests from the web origin "${origin.slice(0, 200)}" are not allowed; add it to --cors-origins to let a browser page call the API`));
  };
  // The check does nothing to a request without an Origin whose Host is accepted (or absent).
  const pass = (raw: IncomingMessage): boolean => {
    const headers = raw.headers;
    if (headers.origin !== undefined) return false;
    const host = headers.host;
    return !allowed || host === undefined || allowed(host);
  };
  addRequestCheck(app, check, pass);
}

/**
 * hostAllowed with the last answer kept: a client sends the same Host on every request of a
 * connection, and most servers see one or two Hosts in all.
 */
function hostCheck(names: Set<string>): (host: string) => boolean {
  let lastHost: string | undefined;
  let lastAnswer = false;
  return (host) => {
    if (host !== lastHost) {
      lastAnswer = hostAllowed(host, names);
      lastHost = host;
    }
    return lastAnswer;
  };
}

function hostAllowed(host: string, names: Set<string>): boolean {
  const name = hostName(host).toLowerCase();
  if (name === '') return false;
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return names.has(name);
}

/** The name part of a Host header: "[::1]:3500" -> "::1", "example.com:80" -> "example.com". */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? '' : host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** The Origin names the server the request was sent to (host and port as in the Host header). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host.toLowerCase()}`).host;
  } catch {
    return false;
  }
}
