// The composition root: the only file that picks concrete adapters. Everything else receives
// its dependencies.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { ComponentConfigError, createComponents, loadComponents, type ComponentRegistry, type CreateComponentsOptions } from './adapters/components/index.js';
import { ActorDeliverer } from './adapters/deliver-actor/actor-deliverer.js';
import { HttpDeliverer } from './adapters/deliver-http/http-deliverer.js';
import { AppClient } from './adapters/deliver-invoke/app-client.js';
import { InputBindingDeliverer } from './adapters/deliver-invoke/input-binding-deliverer.js';
import { InvokeDeliverer } from './adapters/deliver-invoke/invoke-deliverer.js';
import { StreamChannel } from './adapters/deliver-stream/stream-channel.js';
import { isEtcdUrl, openEtcdCluster, type EtcdCluster } from './adapters/store-etcd/index.js';
import { guardedConnectors, type ConnectorFactory } from './adapters/outbound-guard/guarded-connector.js';
import { SqliteAppRegistrations } from './adapters/store-sqlite/sqlite-app-registrations.js';
import { lockDataDir, type DataDirLock } from './adapters/store-sqlite/data-dir-lock.js';
import { SqliteJobStore } from './adapters/store-sqlite/sqlite-job-store.js';
import { sqliteWriteProbe, type WriteProbe } from './adapters/store-sqlite/write-probe.js';
import { startGrpcServers, type GrpcServers } from './api/grpc/grpc-servers.js';
import { createHttpApi } from './api/http/http-server.js';
import { listenHttp } from './api/http/listen.js';
import { gateUntilStarted } from './api/http/start-gate-hook.js';
import { ListenError } from './api/listen-error.js';
import { registerClusterRoutes } from './api/http/routes/cluster.js';
import { registerDashboard } from './api/http/routes/ui/dashboard.js';
import { ActorRouting } from './app/actor-routing.js';
import { AppRegistry } from './app/app-registry.js';
import { refuseApiTokenAsAppToken, registeredAppTokens } from './app/registered-app-tokens.js';
import { ClusterMember } from './app/cluster/cluster-member.js';
import { knownApps } from './app/dashboard/known-apps.js';
import { DeliveryRouter } from './app/delivery-router.js';
import { JobsService } from './app/jobs-service.js';
import { ownerOfReminderApp } from './app/reminders/reminder-keys.js';
import { RemindersService } from './app/reminders/reminders-service.js';
import { StagedRelease } from './app/staged-release.js';
import { TeardownStack } from './app/teardown-stack.js';
import { TombstoneSweep } from './app/tombstone-sweep.js';
import { TracingDeliverer } from './app/tracing-deliverer.js';
import { logTriggers } from './app/trigger-log.js';
import { promoteAfterRefills } from './app/refill-promotion.js';
import { configReloadCounter, createMetrics, observeStoreLatency, storeLatencyHistogram } from './app/metrics.js';
import { timedStore } from './app/timed-store.js';
import { Readiness } from './app/readiness.js';
import { StartGate } from './app/start-gate.js';
import { AppQuota, type JobCount } from './app/app-quota.js';
import { storeReadiness } from './app/store-readiness.js';
import type { ComponentInfo } from './app/targets/component-directory.js';
import { CronBindingError } from './app/targets/cron-binding-jobs.js';
import { Targets } from './app/targets/targets.js';
import { describeReload, reloadAccessControl, type AccessControlReloadResult } from './app/targets/access-control-reload.js';
import { describeTokenReload, reloadTokens, tokensFrom, type TokenReloadResult } from './app/token-reload.js';
import { TokenSet } from './app/token-set.js';
import { InvokeAccess } from './app/targets/invoke-access.js';
import { appTokensInUse } from './config/app-tokens.js';
import { readConfigFile } from './config/config-file.js';
import { settingName, withDefaults, type DuetimeConfig } from './config/config.js';
import { readApiTokenFile, readEdgeSettings, SECRET_LOG_PATHS } from './config/edge-settings.js';
import { readStoredDataSettings } from './config/stored-data-settings.js';
import { readRequestLimitSettings } from './config/request-limit-settings.js';
import { readAccessControlFile, readOutboundSettings } from './config/outbound-settings.js';
import { checkStartSettings } from './config/start-settings.js';
import { systemClock, type Clock } from './core/clock.js';
import { Engine } from './core/engine/engine.js';
import type { EngineOptions } from './core/engine/options.js';
import type { AppRegistrations } from './core/ports/app-registrations.js';
import type { JobStore } from './core/ports/job-store.js';
import type { Tracer } from './core/ports/tracer.js';
import type { OutboundPolicy } from './core/model/outbound-policy.js';
import { parseGoDuration } from './core/schedule/index.js';

export interface RunningDuetime {
  config: DuetimeConfig;
  http: FastifyInstance;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3500 */
  httpUrl: string;
  /** Bound port of the gRPC runtime API (dapr.proto.runtime.v1.Dapr jobs methods). */
  grpcPort: number;
  /** Bound port of the gRPC scheduler API (dapr.proto.scheduler.v1.Scheduler, WatchJobs). */
  schedulerPort: number;
  engine: Engine;
  apps: AppRegistry;
  logger: Logger;
  /** This replica's part in the cluster, when the store is etcd. */
  cluster?: ClusterMember;
  /**
   * Reads the --access-control file and the API token files (--config's tokens:, --api-token-file)
   * again: what SIGHUP does. Each setting is reloaded on its own; a file that does not read keeps
   * what is in force for that setting.
   */
  reload(): ReloadOutcome;
  stop(): Promise<void>;
}

/** What one reload did, per setting. */
export interface ReloadOutcome {
  accessControl: AccessControlReloadResult;
  tokens: TokenReloadResult;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /**
   * Test-only engine tuning that has no flag: a test sets a low refillLimit and releaseBatch so
   * that a few hundred jobs show what 50,000 show at the defaults (docs/architecture.md, Tests).
   * Production callers (the CLI) never pass it.
   */
  engine?: Partial<Pick<EngineOptions, 'refillLimit' | 'releaseBatch'>>;
}

export async function startDuetime(values: Partial<DuetimeConfig>, options: StartOptions = {}): Promise<RunningDuetime> {
  const config = withDefaults(values);
  // Ports, log level, --app-url: a bad one fails here with the flag's name, before any library sees it.
  checkStartSettings(config);
  // Tokens never reach the log, whoever made the logger (docs/security.md).
  // Synchronous writes to stdout: with pino's default (asynchronous) destination a write pending at
  // exit meets EPIPE when the log reader has gone, and sonic-boom's exit flush retries it forever.
  const logger = (options.logger ?? pino({ level: config.logLevel, base: { service: 'duetime' } }, pino.destination({ dest: 1, sync: true }))).child({}, { redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' } });
  // Deadlines, caps, TLS material and tokens (from their files): a bad one fails the start here.
  const edge = readEdgeSettings(config);
  const stored = readStoredDataSettings(config);
  const asked = readRequestLimitSettings(config);
  const tombstoneTtlMs = durationSetting(config, 'tombstoneTtl');
  const clock = options.clock ?? systemClock;
  // --allow-outbound and --access-control (docs/security.md "Outbound policy"); a bad one fails here.
  const outboundSettings = readOutboundSettings(config);
  const file = config.configFile ? readConfigFile(config.configFile, outboundSettings.outbound) : { apps: [], tokens: [] };
  // The API tokens in force: one holder shared by every reader (HTTP, gRPC, dashboard, streams),
  // so a reload swaps them for all at once (app/token-set.ts says why a holder).
  // Where the tokens come from: read again on SIGHUP. A literal --api-token cannot change: it stays beside them.
  // The tokens sent to configured apps are fixed from start; none may be an API token, then or after
  // a reload (which also checks the apps registered by then: registeredAppTokens below).
  const tokenSources = {
    configFile: config.configFile,
    apiTokenFile: config.apiTokenFile,
    fixedToken: config.apiTokenFile ? undefined : edge.apiToken,
    appTokens: appTokensInUse(config, file.apps, edge.appApiToken),
  };
  const tokens = new TokenSet(tokensFrom(file.tokens, edge.apiToken, tokenSources));
  // Every outbound connection (deliveries, invocations, reminders, bindings.http) checks the address it resolved to.
  const connector = outboundConnectors(outboundSettings.outbound, logger);
  // --otlp-endpoint: spans for schedules and attempts (docs/tracing.md); unset, no SDK at all.
  const tracer = await openTracer(config);

  // Everything below that needs closing is pushed as it is made; one stack closes it all, in
  // reverse, on a failed start and on stop alike.
  const teardown = new TeardownStack(logger);
  // Closed after the servers and the engine: the spans they end are sent before it stops.
  if (tracer) teardown.push('tracing', () => tracer.close());
  const components = await openComponents(config.componentsPath, { httpConnector: connector, outbound: outboundSettings.outbound });
  teardown.push('components', () => components.registry.close());
  let opened: OpenedStore;
  try {
    opened = await openStore(config, logger, clock);
  } catch (error) {
    await teardown.run();
    throw error;
  }
  const { store: openedStore, cluster: clusterBackend, registrations, lock, writeProbe, jobCount } = opened;
  // Every user of the store sees it through the write timer (duetime_store_commit_seconds).
  const storeLatency = storeLatencyHistogram();
  const store = timedStore(openedStore, observeStoreLatency(storeLatency));
  // The lock goes last: the directory is free once nothing of this server writes to it.
  if (lock) teardown.push('data directory lock', () => lock.release());
  teardown.push('job store', () => store.close());
  if (writeProbe) teardown.push('store write probe', () => writeProbe.close());
  const apps = new AppRegistry(registrations, {
    warn: (message, context) => logger.warn(context, message),
    // An app token goes to the app with every delivery: it may not be an API token in force.
    refuseRegistration: (_namespace, _appId, endpoint) => refuseApiTokenAsAppToken(endpoint.token, tokens.current),
  });
  teardown.push('app registrations', () => apps.close());
  // --delivery-timeout is a deadline per attempt (dispatch to last byte) in every deliverer below.
  const deliveryTimeoutMs = parseGoDuration(config.deliveryTimeout);
  const endpointLimits = { timeoutMs: deliveryTimeoutMs, connectionsPerEndpoint: config.connectionsPerEndpoint, connector, ...(edge.appCa ? { ca: edge.appCa } : {}) };
  const httpDeliverer = new HttpDeliverer(apps, endpointLimits);
  teardown.push('http deliverer', () => httpDeliverer.close());
  const router = new DeliveryRouter(httpDeliverer);
  // Extension targets (SPEC 5): components, service invocation, cron input bindings, jobStateStore.
  const appCalls = new AppClient(endpointLimits);
  teardown.push('app calls', () => appCalls.close());
  // Who may invoke whom: the --access-control file, else with tokens only an app itself.
  const invokeAccess = new InvokeAccess({
    ...(outboundSettings.accessControl ? { policy: outboundSettings.accessControl } : {}),
    tokensOn: tokens.required,
    setting: settingName('accessControl'),
  });
  const targets = new Targets({
    components: components.registry,
    info: components.info,
    apps,
    appCalls: { invoke: new InvokeDeliverer(apps, appCalls), inputBinding: new InputBindingDeliverer(apps, appCalls) },
    warn: (message, context) => logger.warn(context, message),
    deliveryTimeoutMs,
    invokeAccess,
  });
  targets.route(router);
  const actors = new ActorDeliverer(apps, endpointLimits);
  teardown.push('actor deliverer', () => actors.close());
  const streams = new StreamChannel({ deliveryTimeoutMs });
  router.useStream(streams);
  router.route('actor', new ActorRouting(actors, streams));
  const delivery = targets.wrap(router);
  const engine = new Engine(store, tracer ? new TracingDeliverer(delivery, tracer) : delivery, clock, {
    // A finished job leaves a tombstone for --tombstone-ttl; actor reminders do not (as in Dapr,
    // a reminder past its last tick is gone).
    keepFinished: tombstoneTtlMs > 0 ? (def) => ownerOfReminderApp(def.key.appId) === undefined : () => false,
    maxInFlight: config.maxInFlight,
    maxInFlightPerApp: Math.min(config.maxInFlightPerApp, config.maxInFlight),
    lookaheadMs: parseGoDuration(config.lookahead),
    refillIntervalMs: Math.max(50, Math.floor(parseGoDuration(config.lookahead) / 4)),
    ...options.engine,
  });
  teardown.push('engine', () => engine.stop());
  engine.events.on('error', ({ error, context }) => logger.error({ err: error, context }, 'engine error (retrying)'));
  // What happened to triggers: failures at warn, given-up ticks at error, staging per app (app/trigger-log.ts).
  logTriggers(engine.events, logger);
  targets.watch(engine.events);
  // A large refill's records are promoted by V8 right away, not at the first scavenges of the rate (app/refill-promotion.ts).
  teardown.push('refill promotion', promoteAfterRefills(engine.events));
  // Cluster (etcd): the engine fires only the partitions this replica owns.
  const cluster = clusterBackend ? new ClusterMember(clusterBackend, engine, { log: logger }) : undefined;
  // Before the engine stops: hands its partitions over while the engine can still settle them.
  if (cluster) teardown.push('cluster membership', () => cluster.stop());
  try {
    await cluster?.prepare();
  } catch (error) {
    await teardown.run();
    throw error;
  }
  // Reminders wait (staged) for an app hosting their actor type; a registration may bring one.
  apps.onRegistered(() => void actors.recheck());
  // When staged triggers go out again: the rule lives in app/staged-release.ts.
  const stagedRelease = new StagedRelease(
    engine,
    {
      hasEndpoint: (namespace, appId) => apps.endpoint(namespace, appId) !== undefined,
      endpoints: () => apps.list(),
      onRegistered: (listener) => apps.onRegistered(listener),
      hasConsumer: (namespace, appId) => streams.hasConsumer(namespace, appId),
      onConsumerConnected: (listener) => streams.onConsumerConnected(listener),
      onActorHostAvailable: (listener) => actors.onHostAvailable(listener),
    },
    clock,
  );
  teardown.push('staged release', () => stagedRelease.stop());
  const sweep =
    tombstoneTtlMs > 0
      ? new TombstoneSweep(store, clock, {
          ttlMs: tombstoneTtlMs,
          onError: (error) => logger.warn({ err: error }, 'tombstone sweep failed; trying again at the next round'),
          onPurged: (count) => logger.debug({ count }, 'tombstones purged'),
        })
      : undefined;
  if (sweep) teardown.push('tombstone sweep', () => sweep.stop());

  // Stored registrations (cluster state), then this replica's --app-url and config-file apps, written through.
  const appToken = edge.appApiToken ? { token: edge.appApiToken } : {};
  const configured = [
    ...(config.appUrl ? [{ namespace: config.namespace, appId: config.appId, endpoint: { url: config.appUrl, actorTypes: [], ...appToken } }] : []),
    ...file.apps.map((app) => ({
      namespace: app.namespace ?? config.namespace,
      appId: app.appId,
      endpoint: { url: app.url, actorTypes: app.actorTypes ?? [], ...(app.token ? { token: app.token } : appToken) },
    })),
  ];
  try {
    await apps.start(configured);
  } catch (error) {
    await teardown.run();
    throw error;
  }
  const readiness = new Readiness();
  let started = false;
  readiness.add('engine', () => ({ ok: started, ...(started ? {} : { detail: 'starting' }) }));
  readiness.add('store', storeReadiness(store, writeProbe ? { writeProbe: () => writeProbe.check() } : {}));
  if (cluster) readiness.add('cluster', () => cluster.readiness());
  targets.addReadiness(readiness);
  const metrics = createMetrics(engine, {
    stagedCounts: () => store.stagedCounts(),
    ...(store.liveCounts ? { liveCounts: () => store.liveCounts!() } : {}),
    ...(cluster
      ? {
          partitions: () => {
            const status = cluster.status();
            return { owned: cluster.ownedPartitions(), unowned: status.unowned, total: status.partitionCount };
          },
        }
      : {}),
    storeLatency,
  });
  const countReload = configReloadCounter(metrics);
  // SIGHUP (cli/serve-command.ts): the --access-control file and the token files (tokenSources)
  // read again; a bad file keeps what is in force.
  const reload = (): ReloadOutcome => {
    const accessControl = reloadAccessControl({ file: config.accessControl, read: readAccessControlFile, access: invokeAccess });
    if (accessControl.result !== 'not-configured') countReload('access_control', accessControl.result);
    let appsChanged = false;
    const tokenOutcome = reloadTokens({
      sources: tokenSources,
      readConfigTokens: (path) => {
        const reread = readConfigFile(path, outboundSettings.outbound);
        appsChanged = !isDeepStrictEqual(reread.apps, file.apps);
        return reread.tokens;
      },
      readTokenFile: readApiTokenFile,
      tokens,
      // What the registry holds at this moment: registrations through the API on any replica, as followed from the store.
      registeredAppTokens: () => registeredAppTokens(apps.appTokens()),
    });
    if (tokenOutcome.result !== 'not-configured') countReload('tokens', tokenOutcome.result);
    // Logged once both are done: a setting with nothing to read says so at info only when the
    // SIGHUP read nothing at all, at debug when the other setting was read.
    const described = describeReload(accessControl, { othersRead: tokenOutcome.result !== 'not-configured' });
    logger[described.level]({ setting: settingName('accessControl') }, described.message);
    const told = describeTokenReload(tokenOutcome, { othersRead: accessControl.result !== 'not-configured' });
    logger[told.level]({ setting: 'tokens' }, told.message);
    // The file's apps are registered at start only; say so rather than let an edit look applied.
    if (appsChanged) logger.warn({ setting: settingName('configFile') }, `the apps: of ${config.configFile} differ from those read at start; apps are registered only at start: restart, or register them with PUT /v1.0/apps/{appId}`);
    return { accessControl, tokens: tokenOutcome };
  };
  // One quota for both services: jobs and reminders are filed under different app ids anyway.
  // --max-jobs-per-app: SQLite's exact count of live jobs, or etcd's own count (tombstones included).
  const liveCount: JobCount | undefined = store.countLive ? { of: (namespace, appId) => store.countLive!(namespace, appId), includesFinished: false } : undefined;
  const quota = new AppQuota(asked.quota, clock, jobCount ?? liveCount);
  const jobs = new JobsService(store, engine, clock, targets.targetCheck(), targets.payloads, { ...stored, requestLimits: asked.requestLimits, quota, ...(tracer ? { tracer } : {}) });
  const reminders = new RemindersService(store, engine, clock, stored.dataLimits, { requestLimits: asked.requestLimits, quota });
  const identity = { defaultAppId: config.appId, defaultNamespace: config.namespace, tokens };
  const http = createHttpApi({
    jobs,
    reminders,
    apps,
    publish: targets.publishService(jobs, clock),
    readiness,
    metrics,
    logger,
    bodyLimit: config.bodyLimit,
    identity,
    edge: {
      requestTimeoutMs: edge.requestTimeoutMs,
      headersTimeoutMs: edge.headersTimeoutMs,
      keepAliveTimeoutMs: edge.keepAliveTimeoutMs,
      connectionsCheckingIntervalMs: edge.connectionsCheckingIntervalMs,
      maxConnectionsPerClient: edge.maxConnectionsPerClient,
      ...(edge.tls ? { tls: edge.tls } : {}),
    },
    browser: { allowedHosts: edge.allowedHosts, corsOrigins: edge.corsOrigins },
    outbound: outboundSettings.outbound,
  });
  registerClusterRoutes(http, () => cluster?.status() ?? { mode: 'single', store: config.store }, identity);
  // The dashboard at /ui (--ui false or --no-ui: off), under the same tokens as the API.
  if (config.ui) {
    registerDashboard(http, {
      jobs,
      knownApps: () => knownApps({ registered: () => apps.list(), stagedCounts: () => store.stagedCounts(), defaultApp: { namespace: config.namespace, appId: config.appId } }),
      metrics,
      cluster: () => cluster?.status() ?? { mode: 'single', store: config.store },
      identity,
      secure: edge.tls !== undefined,
    });
  }

  // Ports before work: every port is bound before the engine fires anything, so a port that is
  // taken fails the start with nothing delivered. Requests in between wait (app/start-gate.ts).
  const gate = new StartGate();
  gateUntilStarted(http, gate);
  let grpc: GrpcServers | undefined;
  let httpUrl: string;
  teardown.push('http and grpc servers', () => Promise.all([http.close(), grpc?.stop()]));
  try {
    const port = await listenHttp(http, config.host, config.port);
    httpUrl = `${edge.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    grpc = await startGrpcServers({
      jobs,
      reminders,
      streams,
      identity,
      logger,
      host: config.host,
      grpcPort: config.grpcPort,
      schedulerPort: config.schedulerPort,
      maxMessageBytes: config.bodyLimit,
      startGate: gate,
      edge: {
        handshakeTimeoutMs: edge.headersTimeoutMs,
        maxConnectionsPerClient: edge.maxConnectionsPerClient,
        keepaliveTimeMs: edge.grpcKeepaliveTimeMs,
        keepaliveTimeoutMs: edge.grpcKeepaliveTimeoutMs,
        maxConnectionIdleMs: edge.grpcMaxConnectionIdleMs,
        maxConnectionAgeMs: edge.grpcMaxConnectionAgeMs,
        maxConcurrentStreams: edge.grpcMaxConcurrentStreams,
        ...(edge.tls ? { tls: edge.tls } : {}),
      },
      ...(cluster ? { hosts: { addresses: () => cluster.schedulerAddresses(), onChange: (listener) => cluster.onViewChange(listener) } } : {}),
    });
    await engine.start();
    await targets.startCronBindings({ store, engine, jobs, clock }, { namespace: config.namespace, appId: config.appId });
  } catch (error) {
    gate.fail(error);
    await teardown.run();
    throw startError(error, config);
  }
  started = true;
  gate.open();
  await cluster?.start({ url: config.advertiseUrl ?? httpUrl, schedulerAddress: grpc.schedulerAddress });
  stagedRelease.start();
  sweep?.start();
  logger.info({ httpUrl, grpcPort: grpc.grpcPort, schedulerPort: grpc.schedulerPort, store: config.store, dataDir: config.dataDir }, 'duetime is serving');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      started = false;
      await teardown.run();
      logger.info('duetime stopped');
    })());
  return { config, http, httpUrl, grpcPort: grpc.grpcPort, schedulerPort: grpc.schedulerPort, engine, apps, logger, ...(cluster ? { cluster } : {}), reload, stop };
}

/** A duration setting in ms; a bad value is a start error naming the flag and its env twin. */
function durationSetting(config: DuetimeConfig, key: 'tombstoneTtl'): number {
  const value = config[key];
  try {
    return parseGoDuration(value);
  } catch (error) {
    throw new Error(`cannot start: ${settingName(key)} "${value}" is not a duration (${error instanceof Error ? error.message : String(error)}); use e.g. 24h, 90m or 0s`, { cause: error });
  }
}

/**
 * The OpenTelemetry tracer when --otlp-endpoint is set, loaded only then (a server without it
 * does not even load the SDK); a URL that is not http(s) is a start error naming the flag.
 */
async function openTracer(config: DuetimeConfig): Promise<Tracer | undefined> {
  if (!config.otlpEndpoint) return undefined;
  const { OtelTracer } = await import('./adapters/tracing-otel/index.js');
  try {
    return new OtelTracer({ endpoint: config.otlpEndpoint });
  } catch (error) {
    throw new Error(`cannot start: ${settingName('otlpEndpoint')} "${config.otlpEndpoint}" is not usable (${error instanceof Error ? error.message : String(error)}); use the collector's OTLP/HTTP URL, e.g. http://127.0.0.1:4318`, { cause: error });
  }
}

/** A start error in the user's words: which flag to change for a port, what a cron binding lacks. */
function startError(error: unknown, config: DuetimeConfig): unknown {
  if (error instanceof ListenError && isHostProblem(error)) {
    return new Error(`cannot start: ${settingName('host')} ${error.host} cannot be listened on (${error.reason}); use an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`, { cause: error });
  }
  if (error instanceof ListenError) {
    return new Error(`cannot start: ${settingName(error.setting)} ${error.port} cannot be bound on ${error.host} (${error.reason}); free that port or choose another`, { cause: error });
  }
  if (error instanceof CronBindingError) return new Error(`cannot start: a cron binding in ${config.componentsPath} cannot be scheduled:\n${error.message}`, { cause: error });
  return error;
}

/** The address, not the port, is at fault: a name that does not resolve or an IP not on this machine. */
function isHostProblem(error: ListenError): boolean {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME';
}

/**
 * The connector every outbound Agent uses: the outbound policy applied to each connection's
 * resolved address. A refusal fails the attempt with its reason; it is logged once per host and
 * address (the first 1,000 of them), not at every retry.
 */
function outboundConnectors(policy: OutboundPolicy, logger: Logger): ConnectorFactory {
  const logged = new Set<string>();
  return guardedConnectors(policy, {
    onRefused: ({ host, address, reason }) => {
      const key = `${host}\u0000${address}`;
      if (logged.has(key) || logged.size >= 1000) return;
      logged.add(key);
      logger.warn({ host, address, reason, setting: settingName('allowOutbound') }, 'outbound connection refused by the outbound policy; attempts to this address fail until it is allowed');
    },
  });
}

/** Reads the components folder (none: an empty registry); a bad folder is a start error listing each file's problems. */
async function openComponents(path: string | undefined, options: CreateComponentsOptions): Promise<{ registry: ComponentRegistry; info: Map<string, ComponentInfo> }> {
  if (!path) return { registry: await createComponents([], options), info: new Map() };
  try {
    const descriptors = await loadComponents(path);
    return { registry: await createComponents(descriptors, options), info: new Map(descriptors.map((d) => [d.name, { type: d.type, scopes: d.scopes }])) };
  } catch (error) {
    if (error instanceof ComponentConfigError) {
      throw new Error(`cannot start: the components in ${path} are not usable:\n${error.problems.join('\n')}`, { cause: error });
    }
    throw error;
  }
}

interface OpenedStore {
  store: JobStore;
  cluster?: EtcdCluster;
  registrations: AppRegistrations;
  /** The embedded store's hold on its data directory, released last on stop. */
  lock?: DataDirLock;
  /** The embedded store's check that a write could commit now, for /readyz. */
  writeProbe?: WriteProbe;
  /** The store's count for --max-jobs-per-app when it is not the port's countLive (etcd's, tombstones included). */
  jobCount?: JobCount;
}

async function openStore(config: DuetimeConfig, logger: Logger, clock: Clock): Promise<OpenedStore> {
  if (config.store === 'sqlite') {
    const dir = resolve(config.dataDir);
    mkdirSync(dir, { recursive: true });
    // One writer per data directory: a second server exits here, naming the holder's pid.
    const lock = lockDataDir(dir);
    const path = join(dir, 'duetime.db');
    let store: SqliteJobStore | undefined;
    try {
      // Commits (and their fsync) on the writer thread: on the event loop a COMMIT held every
      // timer and socket for its whole fsync, 10 to 200 ms on a busy disk, which was the lateness
      // tail at a steady trigger rate (issue 12; docs/benchmarks.md, stage 7).
      const opened = new SqliteJobStore({ path, historyLimit: config.historyLimit, writerThread: true });
      store = opened;
      // Its own connection to the file the job store has just migrated; it leaves the write lock
      // alone while the writer thread may hold it.
      const writeProbe = sqliteWriteProbe({ path, ownWriteInFlight: () => opened.writeInFlight });
      return { store, registrations: new SqliteAppRegistrations({ path }), lock, writeProbe };
    } catch (error) {
      await store?.close();
      lock.release();
      throw error;
    }
  }
  if (isEtcdUrl(config.store)) {
    const leaseTtlSeconds = Math.ceil(parseGoDuration(config.leaseTtl) / 1000);
    if (leaseTtlSeconds < 2) throw new Error(`--lease-ttl "${config.leaseTtl}" is too short; etcd needs at least 2s`);
    const opened = await openEtcdCluster({ url: config.store, partitionCount: config.partitions, historyLimit: config.historyLimit, leaseTtlSeconds, lookaheadMs: parseGoDuration(config.lookahead), log: logger.child({ component: 'cluster' }), clock });
    // etcd keeps no count of live jobs: the quota counts what the app stores (store-etcd/app-job-counts.ts).
    return { ...opened, jobCount: { of: (namespace, appId) => opened.store.countJobs(namespace, appId), includesFinished: true } };
  }
  throw new Error(`--store "${config.store}" is not supported; use sqlite or etcd://host:port[,host:port]`);
}
