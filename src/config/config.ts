// One schema for every setting: its flag, its env twin (DUETIME_<FLAG>), its default and its
// meaning. The CLI builds its options from this list and docs/configuration.md documents it.

export interface DuetimeConfig {
  host: string;
  port: number;
  grpcPort: number;
  schedulerPort: number;
  appId: string;
  namespace: string;
  appUrl?: string;
  dataDir: string;
  store: string;
  componentsPath?: string;
  apiToken?: string;
  appApiToken?: string;
  logLevel: string;
  configFile?: string;
  deliveryTimeout: string;
  connectionsPerEndpoint: number;
  maxInFlight: number;
  maxInFlightPerApp: number;
  bodyLimit: number;
  historyLimit: number;
  tombstoneTtl: string;
  lookahead: string;
  leaseTtl: string;
  partitions: number;
  advertiseUrl?: string;
  requestTimeout: string;
  headersTimeout: string;
  keepAliveTimeout: string;
  connectionsCheckingInterval: string;
  maxConnectionsPerClient: number;
  grpcKeepaliveTime: string;
  grpcKeepaliveTimeout: string;
  grpcMaxConnectionIdle: string;
  grpcMaxConnectionAge: string;
  grpcMaxConcurrentStreams: number;
  allowedHosts?: string;
  corsOrigins?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  appTlsCa?: string;
  apiTokenFile?: string;
  appApiTokenFile?: string;
  maxDataDepth: number;
  maxDataBytes: number;
  listPageBytes: number;
  ui: boolean;
  minInterval: string;
  maxScheduleLength: number;
  maxDurationLength: number;
  maxJobsPerApp: number;
  scheduleRatePerApp: number;
  scheduleBurstPerApp: number;
  otlpEndpoint?: string;
  allowOutbound?: string;
  accessControl?: string;
}

export interface ConfigField {
  key: keyof DuetimeConfig;
  flag: string;
  description: string;
  default?: string | number | boolean;
  kind: 'string' | 'int' | 'boolean';
}

export const CONFIG_FIELDS: ConfigField[] = [
  { key: 'host', flag: 'host', kind: 'string', default: '127.0.0.1', description: 'address the HTTP and gRPC servers listen on (0.0.0.0 for all)' },
  { key: 'port', flag: 'port', kind: 'int', default: 3500, description: 'HTTP API port (Dapr sidecar default)' },
  { key: 'grpcPort', flag: 'grpc-port', kind: 'int', default: 50001, description: 'gRPC runtime API port' },
  { key: 'schedulerPort', flag: 'scheduler-port', kind: 'int', default: 50006, description: 'gRPC scheduler API port' },
  { key: 'appId', flag: 'app-id', kind: 'string', default: 'default', description: 'app id of callers that name none (no token, no dapr-app-id header)' },
  { key: 'namespace', flag: 'namespace', kind: 'string', default: 'default', description: 'namespace of callers that name none' },
  { key: 'appUrl', flag: 'app-url', kind: 'string', description: 'where the default app receives triggers, e.g. http://127.0.0.1:8080' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', default: './data', description: 'folder of the embedded SQLite store' },
  { key: 'store', flag: 'store', kind: 'string', default: 'sqlite', description: 'job store: sqlite (embedded) or etcd://host:port[,host:port]' },
  { key: 'componentsPath', flag: 'components-path', kind: 'string', description: 'folder of Dapr component YAML files' },
  { key: 'apiToken', flag: 'api-token', kind: 'string', description: 'require this token (dapr-api-token header) on every API call' },
  { key: 'appApiToken', flag: 'app-api-token', kind: 'string', description: 'token sent to apps as dapr-api-token on each trigger' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', default: 'info', description: 'fatal, error, warn, info, debug or trace' },
  { key: 'configFile', flag: 'config', kind: 'string', description: 'YAML file with apps and tokens (see docs/configuration.md)' },
  { key: 'deliveryTimeout', flag: 'delivery-timeout', kind: 'string', default: '30s', description: 'deadline of one delivery attempt, from dispatch (the wait for a connection included) to the last byte; then it is cancelled and counts as failed' },
  { key: 'connectionsPerEndpoint', flag: 'connections-per-endpoint', kind: 'int', default: 64, description: 'most connections open to one app endpoint (scheme, host and port) at once; more deliveries wait for one within their --delivery-timeout' },
  { key: 'maxInFlight', flag: 'max-in-flight', kind: 'int', default: 1000, description: 'most deliveries in flight at once' },
  { key: 'maxInFlightPerApp', flag: 'max-in-flight-per-app', kind: 'int', default: 250, description: 'most deliveries in flight at once for one app: a slow app holds no more; apps waiting are served in turn' },
  { key: 'bodyLimit', flag: 'body-limit', kind: 'int', default: 4 * 1024 * 1024, description: 'largest request body in bytes (413 above it)' },
  { key: 'historyLimit', flag: 'history-limit', kind: 'int', default: 20, description: 'tick outcomes kept per job for GET .../history' },
  { key: 'tombstoneTtl', flag: 'tombstone-ttl', kind: 'string', default: '24h', description: 'a finished job (delivered, given up, out of repeats or ttl) stays readable this long with state completed or failed and its history, then is purged (0s: deleted at once, as Dapr does); not for actor reminders' },
  { key: 'lookahead', flag: 'lookahead', kind: 'string', default: '20s', description: 'jobs due within this window are held in memory' },
  { key: 'leaseTtl', flag: 'lease-ttl', kind: 'string', default: '5s', description: 'cluster (etcd): how long a crashed replica keeps its partitions; whole seconds, at least 2s' },
  { key: 'partitions', flag: 'partitions', kind: 'int', default: 256, description: 'cluster (etcd): virtual partitions jobs are spread over; fixed when the cluster is created' },
  { key: 'advertiseUrl', flag: 'advertise-url', kind: 'string', description: 'cluster (etcd): this replica\'s HTTP URL as others should show it (default: the listening address)' },
  // The server edge (docs/security.md): deadlines and caps on what a client holds open.
  { key: 'requestTimeout', flag: 'request-timeout', kind: 'string', default: '30s', description: 'HTTP: a whole request (headers and body) must arrive within this, or its connection is closed' },
  { key: 'headersTimeout', flag: 'headers-timeout', kind: 'string', default: '10s', description: 'HTTP: a request\'s headers must arrive within this; gRPC and TLS: a new connection must finish its TLS handshake and send the HTTP/2 preface within this' },
  { key: 'keepAliveTimeout', flag: 'keep-alive-timeout', kind: 'string', default: '5s', description: 'HTTP: an idle keep-alive connection is closed after this' },
  { key: 'connectionsCheckingInterval', flag: 'connections-checking-interval', kind: 'string', default: '1s', description: 'HTTP: how often connections are checked against --request-timeout and --headers-timeout (a deadline is enforced within this much)' },
  { key: 'maxConnectionsPerClient', flag: 'max-connections-per-client', kind: 'int', default: 1024, description: 'most connections one client address may hold open on each port (HTTP, gRPC runtime, gRPC scheduler); more are closed at once' },
  { key: 'grpcKeepaliveTime', flag: 'grpc-keepalive-time', kind: 'string', default: '20s', description: 'gRPC: ping a connection after this long without activity' },
  { key: 'grpcKeepaliveTimeout', flag: 'grpc-keepalive-timeout', kind: 'string', default: '10s', description: 'gRPC: close a connection whose ping is not answered within this' },
  { key: 'grpcMaxConnectionIdle', flag: 'grpc-max-connection-idle', kind: 'string', default: '5m', description: 'gRPC: close a connection with no call open for this long (0s: never)' },
  { key: 'grpcMaxConnectionAge', flag: 'grpc-max-connection-age', kind: 'string', default: '0s', description: 'gRPC: ask clients to reconnect after this long, calls open then get as long again to finish (0s: never; WatchJobs streams reconnect when set)' },
  { key: 'grpcMaxConcurrentStreams', flag: 'grpc-max-concurrent-streams', kind: 'int', default: 1000, description: 'gRPC: most calls open at once on one connection' },
  // Browser-facing safety (docs/security.md): a web page cannot drive the API.
  { key: 'allowedHosts', flag: 'allowed-hosts', kind: 'string', description: 'HTTP: Host header names accepted, comma-separated (default: localhost, IP literals, --host, --advertise-url\'s host and this machine\'s name); * accepts any' },
  { key: 'ui', flag: 'ui', kind: 'boolean', default: true, description: 'serve the dashboard at /ui (false or --no-ui: off); it needs a token when tokens are configured' },
  { key: 'corsOrigins', flag: 'cors-origins', kind: 'string', description: 'HTTP: browser origins allowed to call the API (CORS), comma-separated, e.g. https://admin.example.com (default: none)' },
  // TLS and secrets (docs/security.md).
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', description: 'PEM certificate chain file: serve HTTPS and gRPC over TLS on every port (with --tls-key)' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', description: 'PEM private key file of --tls-cert' },
  { key: 'tlsClientCa', flag: 'tls-client-ca', kind: 'string', description: 'PEM CA file: require client certificates signed by it on every port (mutual TLS)' },
  { key: 'appTlsCa', flag: 'app-tls-ca', kind: 'string', description: 'PEM CA file trusted (besides the system\'s) for https app URLs: deliveries, invocations and reminders' },
  // The outbound policy (docs/security.md): where Duetime may send requests, which app may invoke which.
  { key: 'allowOutbound', flag: 'allow-outbound', kind: 'string', description: 'CIDR ranges, IP addresses and host names (*.example.com for a domain) Duetime may call, comma-separated: app endpoints, invoke targets, reminders and bindings.http; checked at registration and on every connection with the resolved address (default: loopback and private ranges, 127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7); link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) only when an entry inside them is listed' },
  { key: 'accessControl', flag: 'access-control', kind: 'string', description: 'YAML or JSON file of Dapr Configuration accessControl policies deciding which app may invoke which app\'s methods (invoke targets), checked when a job is written and at every delivery, read again on SIGHUP (default: with API tokens an app may invoke only itself; without tokens any app)' },
  { key: 'apiTokenFile', flag: 'api-token-file', kind: 'string', description: 'read --api-token from this file (trailing newline trimmed), so it is not in the process list' },
  { key: 'appApiTokenFile', flag: 'app-api-token-file', kind: 'string', description: 'read --app-api-token from this file (trailing newline trimmed)' },
  // Limits on what a caller stores and asks for (docs/security.md, "Limits on requests and stored jobs").
  { key: 'maxDataDepth', flag: 'max-data-depth', kind: 'int', default: 32, description: 'most levels of objects and arrays in a job\'s or reminder\'s data (400 / INVALID_ARGUMENT deeper); 32 keeps it within the 100 message levels protobuf parsers accept' },
  { key: 'maxDataBytes', flag: 'max-data-bytes', kind: 'int', default: 1024 * 1024, description: 'largest job or reminder data in bytes, as compact JSON or a raw gRPC payload (413 / RESOURCE_EXHAUSTED above it)' },
  { key: 'listPageBytes', flag: 'list-page-bytes', kind: 'int', default: 4 * 1024 * 1024, description: 'most bytes of jobs (as JSON) in one GET /v1.0/jobs page, which then ends early with its nextCursor, and in one gRPC ListJobs answer (RESOURCE_EXHAUSTED above it)' },
  { key: 'minInterval', flag: 'min-interval', kind: 'string', default: '100ms', description: 'least time between ticks of an @every schedule or reminder period, and between retries of a failure policy (400 / INVALID_ARGUMENT shorter); cron fires at most once a second anyway' },
  { key: 'maxScheduleLength', flag: 'max-schedule-length', kind: 'int', default: 256, description: 'most characters in a schedule or reminder period, checked before it is parsed (400 / INVALID_ARGUMENT longer); a cron field list holds at most 60 entries whatever this is' },
  { key: 'maxDurationLength', flag: 'max-duration-length', kind: 'int', default: 64, description: 'most characters in a dueTime, ttl or failure-policy interval, checked before it is parsed (400 / INVALID_ARGUMENT longer)' },
  { key: 'maxJobsPerApp', flag: 'max-jobs-per-app', kind: 'int', default: 1_000_000, description: 'most jobs one app may hold (429 / RESOURCE_EXHAUSTED beyond): its live jobs on SQLite; on etcd its stored jobs, tombstones included, each replica counting at most every 1-60 s (docs/security.md); 0: no limit' },
  { key: 'scheduleRatePerApp', flag: 'schedule-rate-per-app', kind: 'int', default: 1000, description: 'schedules per second one app may sustain on this server, jobs and reminders each (429 with Retry-After / RESOURCE_EXHAUSTED beyond); 0: no limit' },
  { key: 'scheduleBurstPerApp', flag: 'schedule-burst-per-app', kind: 'int', default: 10_000, description: 'schedules one app may send at once after a quiet spell, before --schedule-rate-per-app applies' },
  // Observability (docs/tracing.md).
  { key: 'otlpEndpoint', flag: 'otlp-endpoint', kind: 'string', description: 'send trace spans (schedule and every delivery attempt) over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (/v1/traces is added); OTEL_EXPORTER_OTLP_ENDPOINT is used when unset; default: no tracing' },
];

export function envName(field: ConfigField): string {
  return `DUETIME_${field.flag.toUpperCase().replace(/-/g, '_')}`;
}

/** How a user sets a field: "--scheduler-port / DUETIME_SCHEDULER_PORT", for messages. */
export function settingName(key: keyof DuetimeConfig): string {
  const field = CONFIG_FIELDS.find((f) => f.key === key);
  return field ? `--${field.flag} / ${envName(field)}` : key;
}

/** Defaults merged with the given values: what startDuetime() receives. */
export function withDefaults(values: Partial<DuetimeConfig>): DuetimeConfig {
  const config: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) if (field.default !== undefined) config[field.key] = field.default;
  for (const [k, v] of Object.entries(values)) if (v !== undefined) config[k] = v;
  return config as unknown as DuetimeConfig;
}
