import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it for a listener on port 0,
 * which is then closed. Another process could take it before the caller binds it; the servers
 * here bind right away, and a collision shows as a failed start, not a silent mix-up.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: no port assigned'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}
