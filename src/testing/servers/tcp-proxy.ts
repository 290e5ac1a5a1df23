// A TCP relay on a loopback port that a test can cut like a network partition: while cut it
// neither reads nor writes either side of any connection, and leaves new connections waiting
// unanswered, so the peers see silence (calls that hang, keep-alives without answers), not a
// reset or a refused connection. heal() lets everything held flow on, as TCP's retransmissions
// would after a partition ends. One liberty: a connection that one side closes while cut is closed
// on the other side too (a real partition would keep that from the peer until it heals). It
// listens on 127.0.0.1 and forwards to 127.0.0.1 unless told otherwise.

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** From now on nothing passes, in either direction, and no new connection is forwarded. */
  cutOff(): void;
  /** Everything held passes again; connections that waited are forwarded. */
  heal(): void;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let cut = false;
  const sockets = new Set<Socket>();
  /** Accepted while cut: forwarded on heal. */
  const waiting: Socket[] = [];

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  // One direction: data passes unless cut; backpressure pauses the source until the sink drains.
  const relay = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!cut) from.resume();
        });
      }
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
  };

  const forward = (client: Socket): void => {
    const upstream = connect({ host: targetHost, port: targetPort });
    track(upstream);
    relay(client, upstream);
    relay(upstream, client);
  };

  const server: Server = createServer((client) => {
    track(client);
    if (cut) {
      client.pause();
      waiting.push(client);
      return;
    }
    forward(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port assigned');

  return {
    port: address.port,
    cutOff() {
      cut = true;
      // Paused sockets stop reading: what the peers send waits in the kernel's buffers.
      for (const socket of sockets) socket.pause();
    },
    heal() {
      cut = false;
      // Connections that waited get their relays first, so nothing they sent flows unread.
      for (const client of waiting.splice(0)) if (!client.destroyed) forward(client);
      for (const socket of sockets) socket.resume();
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
