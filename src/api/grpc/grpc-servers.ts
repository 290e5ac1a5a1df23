// Starts the two gRPC servers: the runtime API (dapr.proto.runtime.v1.Dapr jobs methods, default
// port 50001) and the scheduler API (dapr.proto.scheduler.v1.Scheduler, default 50006). Port 0
// binds a free port; the bound ports are returned.

import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { Server, ServerCredentials, type ChannelOptions, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StreamConsumers } from '../../core/ports/stream-consumers.js';
import type { IdentityOptions } from '../../app/caller-identity.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import type { StartGate } from '../../app/start-gate.js';
import { capConnectionsPerClient, tlsServerOptions, type ServerTls } from '../client-connections.js';
import { ListenError, type PortSetting } from '../listen-error.js';
import { loadDuetimeProtos } from '@duetime/sdk/protocol';
import { runtimeService } from './runtime-service.js';
import { schedulerService, type SchedulerHosts } from './scheduler-service.js';
import { StreamRechecks } from './stream-rechecks.js';
import { refuseUndecodable, tolerantDeserializers } from './undecodable.js';
import type { WatchJobsCall } from './watch-jobs.js';
import { withWatchJobsCodec } from './watch-jobs-codec.js';
import { directWatchJobsWrites } from './watch-jobs-writer.js';

export interface GrpcServersOptions {
  jobs: JobsService;
  reminders: RemindersService;
  streams: StreamConsumers;
  identity: IdentityOptions;
  logger: Logger;
  host: string;
  grpcPort: number;
  schedulerPort: number;
  /** Largest message accepted, bytes (the HTTP body limit; Dapr's default is 4 MiB). */
  maxMessageBytes: number;
  /** In a cluster: every replica's scheduler address, for WatchHosts (alone: this server's). */
  hosts?: SchedulerHosts;
  /** How long stop() lets calls finish before cutting them, ms. */
  shutdownGraceMs?: number;
  /** Calls that arrive before the engine has started wait for it (see app/start-gate.ts). */
  startGate?: StartGate;
  /** Deadlines, caps and TLS on both ports (docs/security.md); defaults below when absent. */
  edge?: Partial<GrpcEdgeOptions>;
}

export interface GrpcEdgeOptions {
  /** A new connection must finish its TLS handshake and send the HTTP/2 preface within this, ms. */
  handshakeTimeoutMs: number;
  /** Most connections one client address holds open on each port. */
  maxConnectionsPerClient: number;
  /** Ping a connection after this long without activity, ms. */
  keepaliveTimeMs: number;
  /** Close a connection whose ping is not answered within this, ms. */
  keepaliveTimeoutMs: number;
  /** Close a connection with no call open for this long, ms; 0: never. */
  maxConnectionIdleMs: number;
  /** Ask a client to reconnect after this long (open calls get as long again), ms; 0: never. */
  maxConnectionAgeMs: number;
  /** Most calls open at once on one connection. */
  maxConcurrentStreams: number;
  /** Serve TLS with this certificate (and require client certificates when it has a CA). */
  tls?: ServerTls;
}

// Keepalive pings find consumers whose connection died without a FIN (a pulled cable, a frozen
// VM), so their triggers are handed on instead of waiting for the delivery timeout.
export const defaultGrpcEdgeOptions: GrpcEdgeOptions = {
  handshakeTimeoutMs: 10_000,
  maxConnectionsPerClient: 1024,
  keepaliveTimeMs: 20_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 0,
  maxConcurrentStreams: 1000,
};

/** The HTTP/2 client preface ("PRI * HTTP/2.0...") is 24 bytes. */
const HTTP2_PREFACE_BYTES = 24;

export interface GrpcServers {
  grpcPort: number;
  schedulerPort: number;
  /** What WatchHosts announces: host:port of the scheduler API. */
  schedulerAddress: string;
  stop(): Promise<void>;
}

export async function startGrpcServers(options: GrpcServersOptions): Promise<GrpcServers> {
  const protos = loadDuetimeProtos();
  const edge: GrpcEdgeOptions = { ...defaultGrpcEdgeOptions, ...options.edge };
  const serverOptions: ChannelOptions = {
    'grpc.keepalive_time_ms': edge.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': edge.keepaliveTimeoutMs,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    'grpc.max_concurrent_streams': edge.maxConcurrentStreams,
    'grpc.max_receive_message_length': options.maxMessageBytes,
    ...(edge.maxConnectionIdleMs > 0 ? { 'grpc.max_connection_idle_ms': edge.maxConnectionIdleMs } : {}),
    ...(edge.maxConnectionAgeMs > 0 ? { 'grpc.max_connection_age_ms': edge.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': edge.maxConnectionAgeMs } : {}),
  };
  const openCalls = new Set<WatchJobsCall | ServerWritableStream<unknown, unknown>>();
  let schedulerAddress = '';
  // Streams check their token when they open; when the tokens change (SIGHUP) each is checked
  // again, and those whose token was revoked or bound to another app are ended.
  const rechecks = new StreamRechecks();
  const stopRechecks = options.identity.tokens.onReplaced(() => {
    const { kept, ended } = rechecks.recheckAll();
    if (ended > 0) options.logger.info({ ended, kept }, 'API tokens changed: streams whose token was revoked or bound to another app were ended');
  });

  // Undecodable request messages are INVALID_ARGUMENT, not grpc-js's INTERNAL (undecodable.ts).
  const runtime = new Server({ ...serverOptions, interceptors: [refuseUndecodable] });
  runtime.addService(tolerantDeserializers(protos.runtimeService), gated(runtimeService(options), options.startGate));
  // WatchJobs writes its triggers below grpc-js's object stream, pre-encoded (watch-jobs-writer.ts,
  // watch-jobs-codec.ts). The writer's interceptor comes first: it wraps grpc-js's own call.
  const scheduler = new Server({ ...serverOptions, interceptors: [directWatchJobsWrites, refuseUndecodable] });
  scheduler.addService(tolerantDeserializers(withWatchJobsCodec(protos.schedulerService)), gated(schedulerService({ ...options, openCalls, rechecks, address: () => schedulerAddress }), options.startGate));

  let runtimeListener: BoundListener;
  try {
    runtimeListener = await bind(runtime, options.host, options.grpcPort, 'grpcPort', edge);
  } catch (error) {
    stopRechecks();
    throw error;
  }
  let schedulerListener: BoundListener;
  try {
    schedulerListener = await bind(scheduler, options.host, options.schedulerPort, 'schedulerPort', edge);
  } catch (error) {
    stopRechecks();
    runtimeListener.close();
    runtime.forceShutdown();
    throw error;
  }
  const grpcPort = runtimeListener.port;
  const schedulerPort = schedulerListener.port;
  schedulerAddress = `${formatHost(advertisedHost(options.host))}:${schedulerPort}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Streams never end on their own: close the consumers (their triggers in flight go back
      // to the engine as staged) and end the calls with OK, so clients reconnect elsewhere.
      stopRechecks();
      options.streams.closeAll();
      for (const call of openCalls) if (!call.writableEnded && !call.destroyed) call.end();
      openCalls.clear();
      runtimeListener.close();
      schedulerListener.close();
      await Promise.all([shutdown(runtime, options.shutdownGraceMs ?? 2_000), shutdown(scheduler, options.shutdownGraceMs ?? 2_000)]);
    })());
  return { grpcPort, schedulerPort, schedulerAddress, stop };
}

interface BoundListener {
  port: number;
  close(): void;
}

/**
 * Listens with a socket server of our own and hands each connection to grpc-js (its connection
 * injector), so that the edge is ours: the per-address cap, the handshake and preface deadline,
 * and TLS (terminated here, with ALPN h2, the same way for both ports and for HTTPS). A failure is
 * a ListenError naming the setting that gave the port.
 */
function bind(server: Server, host: string, port: number, setting: PortSetting, edge: GrpcEdgeOptions): Promise<BoundListener> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener: NetServer = edge.tls
    ? createTlsServer({ ...tlsServerOptions(edge.tls, edge.handshakeTimeoutMs), ALPNProtocols: ['h2'] })
    : createNetServer();
  capConnectionsPerClient(listener, edge.maxConnectionsPerClient);
  const accept = (socket: Socket): void => {
    if (socket.destroyed) return;
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  };
  if (edge.tls) {
    listener.on('secureConnection', accept);
    // A handshake that fails or times out closes its socket; nothing to report per client.
    listener.on('tlsClientError', () => undefined);
  } else {
    listener.on('connection', (socket: Socket) => {
      if (socket.destroyed) return;
      // A connection that has not sent the HTTP/2 preface by the deadline is not a gRPC client.
      const deadline = setTimeout(() => {
        if (socket.bytesRead < HTTP2_PREFACE_BYTES) socket.destroy();
      }, edge.handshakeTimeoutMs);
      deadline.unref();
      socket.once('close', () => clearTimeout(deadline));
      accept(socket);
    });
  }
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const reason = error.code === 'EADDRINUSE' ? 'the address is already in use' : `gRPC: ${error.message}`;
      reject(new ListenError(setting, host, port, reason, { cause: error }));
    };
    listener.once('error', failed);
    listener.listen({ host, port }, () => {
      listener.off('error', failed);
      const address = listener.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        // No new connections; grpc-js's shutdown closes the injected ones with their calls.
        close: () => listener.close(),
      });
    });
  });
}

/**
 * Each handler, called before the gate opens, runs once it does (a stream's messages wait in its
 * buffer meanwhile); if the start fails the servers are shut down, which ends the waiting calls.
 */
function gated<T extends UntypedServiceImplementation>(service: T, gate: StartGate | undefined): T {
  if (!gate) return service;
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(service)) {
    const call = handler as (...args: unknown[]) => void;
    wrapped[name] = ((...args: unknown[]) => {
      if (gate.isOpen) call(...args);
      else gate.whenOpen().then(() => call(...args), () => undefined);
    }) as typeof handler;
  }
  return wrapped as T;
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** A wildcard listen address is no address to dial: announce the machine's name instead. */
function advertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host;
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
