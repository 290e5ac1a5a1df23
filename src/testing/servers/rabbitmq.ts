import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';
import { ManagedProcess } from './managed-process.js';
import { probeTcp } from './probe.js';

const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
// The AMQP 0-9-1 protocol header; a ready broker answers with a connection.start method frame
// (frame type 1). While the node boots, the port is closed or the socket is dropped.
const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);

/**
 * Debian's rabbitmq-server on free loopback ports: AMQP, Erlang distribution and a private epmd
 * (the system epmd on 4369 listens on every interface; ours listens on 127.0.0.1 only and goes
 * away with the node). Node name, mnesia, logs, config, cookie (HOME) all live in the temp dir.
 * RabbitMQ boots in seconds, not milliseconds: readiness waits up to two minutes.
 *
 * /usr/sbin/rabbitmq-server would switch to the rabbitmq user when run as root; the script in
 * /usr/lib/rabbitmq/bin runs the node as whoever we are, so the temp dir stays ours.
 */
export async function startRabbitMq(): Promise<LoopbackServer> {
  const port = await freePort();
  const distPort = await freePort();
  const epmdPort = await freePort();
  const nodeName = `duetime-${port}@localhost`;
  let epmd: ManagedProcess | undefined;

  const env = (dir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: dir,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  });

  const server = await startLoopbackServer({
    name: 'rabbitmq',
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    prepare: (dir) => {
      writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
      writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
      writeFileSync(join(dir, 'advanced.config'), '[].\n');
      writeFileSync(
        join(dir, 'rabbitmq.conf'),
        ['loopback_users = none', 'log.console = true', 'log.console.level = warning', ''].join('\n'),
      );
    },
    command: (dir) => {
      // Our own epmd, started before the node so the node registers with it instead of
      // starting the default one. It is a separate process group, stopped with the node.
      if (epmd === undefined || epmd.exitReason() !== undefined) {
        epmd = new ManagedProcess({
          command: 'epmd',
          args: ['-port', String(epmdPort), '-address', '127.0.0.1'],
          env: env(dir),
          logFile: join(dir, 'epmd.log'),
        });
      }
      return { command: join(RABBITMQ_BIN, 'rabbitmq-server'), args: [], env: env(dir), cwd: dir };
    },
    ready: () => probeTcp(port, { send: AMQP_HEADER, accept: (reply) => reply[0] === 0x01, timeoutMs: 2000 }),
    readyTimeoutMs: 120_000,
    stopGraceMs: 30_000,
  });

  // Stop epmd only when the whole server stops; across down()/up() it can stay.
  const stopServer = server.stop;
  return {
    ...server,
    stop: async () => {
      await stopServer();
      await epmd?.stop('SIGTERM', 5000);
    },
  };
}
