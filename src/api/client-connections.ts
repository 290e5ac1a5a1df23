// Per-client connection caps and the listener-side deadlines shared by the HTTP and gRPC ports
// (docs/security.md). A client address holds at most `max` connections on one listener; more are
// closed as they arrive, before a byte is read, so one address cannot take every file descriptor.

import type { Server } from 'node:net';
import type { Socket } from 'node:net';

/** Closes each new connection from an address that already holds `max` on this listener. */
export function capConnectionsPerClient(server: Server, max: number): void {
  const open = new Map<string, number>();
  // Prepended: runs before the HTTP/TLS machinery looks at the socket.
  server.prependListener('connection', (socket: Socket) => {
    const address = clientAddress(socket);
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** 127.0.0.1 and ::ffff:127.0.0.1 are one client. */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** PEM material for a TLS listener; `clientCa` turns on mutual TLS. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/** node:tls server options for `tls`: the certificate, and client certificates required when a CA is given. */
export function tlsServerOptions(tls: ServerTls, handshakeTimeoutMs: number): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean; handshakeTimeout: number } {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa ? { ca: tls.clientCa } : {}),
    requestCert: tls.clientCa !== undefined,
    rejectUnauthorized: tls.clientCa !== undefined,
    handshakeTimeout: handshakeTimeoutMs,
  };
}
