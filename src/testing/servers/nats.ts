import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';
import { probeTcp } from './probe.js';

/** Debian's nats-server with JetStream (-js), its store in the temp dir, on a free loopback port. */
export async function startNats(): Promise<LoopbackServer> {
  const port = await freePort();
  return startLoopbackServer({
    name: 'nats',
    port,
    url: `nats://127.0.0.1:${port}`,
    command: (dir) => ({
      command: 'nats-server',
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'jetstream'), '-n', `duetime-test-${port}`],
    }),
    // The server greets every client with INFO once it accepts connections.
    ready: () => probeTcp(port, { accept: (reply) => reply.toString().startsWith('INFO ') }),
    readyTimeoutMs: 20_000,
  });
}
