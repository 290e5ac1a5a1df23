// The dashboard's cookies and its defence against cross-site requests (docs/security.md,
// "Dashboard").
//
// - Session cookie: a random id, HttpOnly, SameSite=Strict, Path=/ui, set on the first page. Every
//   form carries it back as the hidden field `csrf` (a double-submit token): a page on another
//   site can neither read the cookie nor send it (SameSite=Strict), so it cannot fill the field.
// - Origin: the browser guard (browser-guard.ts) already refuses a POST whose Origin is foreign;
//   a dashboard POST must also show where it comes from: an Origin, or else a Referer, of this
//   server's own origin.
// - Token cookie: when API tokens are configured, the login form stores the token in an HttpOnly,
//   SameSite=Strict cookie scoped to /ui; the token header (dapr-api-token, Bearer) works too.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const SESSION_COOKIE = 'duetime_ui_session';
const TOKEN_COOKIE = 'duetime_ui_token';

export function readCookies(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      if (!cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A cookie that is not percent-encoded text is none of ours.
    }
  }
  return cookies;
}

function cookie(name: string, value: string, secure: boolean, maxAgeSeconds?: number): string {
  const attributes = [`${name}=${encodeURIComponent(value)}`, 'Path=/ui', 'HttpOnly', 'SameSite=Strict'];
  if (secure) attributes.push('Secure');
  if (maxAgeSeconds !== undefined) attributes.push(`Max-Age=${maxAgeSeconds}`);
  return attributes.join('; ');
}

function addCookie(reply: FastifyReply, value: string): void {
  const previous = reply.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous.map(String) : [String(previous)];
  void reply.header('set-cookie', [...list, value]);
}

/** The session id (the forms' csrf value), made and set as a cookie when the browser has none. */
export function ensureSession(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const made = madeFor.get(request);
  if (made) return made;
  const current = readCookies(request).get(SESSION_COOKIE);
  if (current && /^[0-9a-f]{64}$/.test(current)) return current;
  const id = randomBytes(32).toString('hex');
  madeFor.set(request, id);
  addCookie(reply, cookie(SESSION_COOKIE, id, secure));
  return id;
}

/** Sessions made during a request: one per request, however many forms its page holds. */
const madeFor = new WeakMap<FastifyRequest, string>();

/** The `csrf` field matches the session cookie (compared in constant time). */
export function csrfMatches(request: FastifyRequest, field: string | undefined): boolean {
  const session = readCookies(request).get(SESSION_COOKIE);
  if (!session || field === undefined) return false;
  const a = Buffer.from(session, 'utf8');
  const b = Buffer.from(field, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The request names this server as where it comes from: its Origin, or without one its Referer,
 * has the scheme's host and port of the Host header.
 */
export function fromSameOrigin(request: FastifyRequest): boolean {
  const host = request.headers.host;
  const source = request.headers.origin ?? request.headers.referer;
  if (!host || !source || source === 'null') return false;
  try {
    const url = new URL(source);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host.toLowerCase()}`).host;
  } catch {
    return false;
  }
}

/** The API token the dashboard request carries: the login cookie, else the API's headers. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const fromCookie = readCookies(request).get(TOKEN_COOKIE);
  if (fromCookie) return fromCookie;
  const header = request.headers['dapr-api-token'];
  const direct = Array.isArray(header) ? header[0] : header;
  if (direct) return direct;
  return request.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
}

export function setTokenCookie(reply: FastifyReply, token: string, secure: boolean): void {
  addCookie(reply, cookie(TOKEN_COOKIE, token, secure));
}

export function clearTokenCookie(reply: FastifyReply, secure: boolean): void {
  addCookie(reply, cookie(TOKEN_COOKIE, '', secure, 0));
}
