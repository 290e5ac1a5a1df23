// Starts the two gRPC servers: the runtime API (dapr.proto.runtime.v1.Dapr jobs methods, default
// port 50001) and the scheduler API (dapr.proto.scheduler.v1.Scheduler, default 50006). Port 0
// binds a free port; the bound ports are returned.

import { hostname } from 'node:os';
import { Server, ServerCredentials, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StreamConsumers } from '../../core/ports/stream-consumers.js';
import type { IdentityOptions } from '../../app/caller-identity.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { RemindersService } from '../../app/reminders/reminders-service.js';
import type { StartGate } from '../../app/start-gate.js';
import { ListenError, type PortSetting } from '../listen-error.js';
import { loadDuetimeProtos } from '@duetime/sdk/protocol';
import { runtimeService } from './runtime-service.js';
import { schedulerService, type SchedulerHosts } from './scheduler-service.js';
import type { WatchJobsCall } from './watch-jobs.js';

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
}

export interface GrpcServers {
  grpcPort: number;
  schedulerPort: number;
  /** What WatchHosts announces: host:port of the scheduler API. */
  schedulerAddress: string;
  stop(): Promise<void>;
}

// Keepalive pings find consumers whose connection died without a FIN (a pulled cable, a frozen
// VM), so their triggers are handed on instead of waiting for the delivery timeout.
const KEEPALIVE = { 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.http2.min_ping_interval_without_data_ms': 5_000 };

export async function startGrpcServers(options: GrpcServersOptions): Promise<GrpcServers> {
  const protos = loadDuetimeProtos();
  const serverOptions = { ...KEEPALIVE, 'grpc.max_receive_message_length': options.maxMessageBytes };
  const openCalls = new Set<WatchJobsCall | ServerWritableStream<unknown, unknown>>();
  let schedulerAddress = '';

  const runtime = new Server(serverOptions);
  runtime.addService(protos.runtimeService, gated(runtimeService(options), options.startGate));
  const scheduler = new Server(serverOptions);
  scheduler.addService(protos.schedulerService, gated(schedulerService({ ...options, openCalls, address: () => schedulerAddress }), options.startGate));

  const grpcPort = await bind(runtime, options.host, options.grpcPort, 'grpcPort');
  let schedulerPort: number;
  try {
    schedulerPort = await bind(scheduler, options.host, options.schedulerPort, 'schedulerPort');
  } catch (error) {
    runtime.forceShutdown();
    throw error;
  }
  schedulerAddress = `${formatHost(advertisedHost(options.host))}:${schedulerPort}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Streams never end on their own: close the consumers (their triggers in flight go back
      // to the engine as staged) and end the calls with OK, so clients reconnect elsewhere.
      options.streams.closeAll();
      for (const call of openCalls) if (!call.writableEnded && !call.destroyed) call.end();
      openCalls.clear();
      await Promise.all([shutdown(runtime, options.shutdownGraceMs ?? 2_000), shutdown(scheduler, options.shutdownGraceMs ?? 2_000)]);
    })());
  return { grpcPort, schedulerPort, schedulerAddress, stop };
}

/** A failure is a ListenError naming the setting that gave the port. */
function bind(server: Server, host: string, port: number, setting: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${formatHost(host)}:${port}`, ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(new ListenError(setting, host, port, /EADDRINUSE/.test(error.message) ? 'the address is already in use' : `gRPC: ${error.message}`, { cause: error }));
      else resolve(bound);
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
