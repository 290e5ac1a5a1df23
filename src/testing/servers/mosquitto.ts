import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';
import { probeTcp } from './probe.js';

// MQTT 3.1.1 CONNECT with clean session and an empty client id; the broker answers CONNACK (0x20).
const CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);

/** Debian's mosquitto with a generated config: one listener on 127.0.0.1:port, persistence on. */
export async function startMosquitto(): Promise<LoopbackServer> {
  const port = await freePort();
  return startLoopbackServer({
    name: 'mosquitto',
    port,
    url: `mqtt://127.0.0.1:${port}`,
    prepare: (dir) => {
      writeFileSync(
        join(dir, 'mosquitto.conf'),
        [
          `listener ${port} 127.0.0.1`,
          'allow_anonymous true',
          'persistence true',
          `persistence_location ${dir}/`,
          // Run as ourselves: as root mosquitto would switch to its own user, which cannot
          // write the temp dir.
          `user ${userInfo().username}`,
          'log_dest stdout',
          '',
        ].join('\n'),
      );
    },
    command: (dir) => ({ command: 'mosquitto', args: ['-c', join(dir, 'mosquitto.conf')] }),
    ready: () => probeTcp(port, { send: CONNECT, accept: (reply) => reply[0] === 0x20 }),
    readyTimeoutMs: 20_000,
  });
}
