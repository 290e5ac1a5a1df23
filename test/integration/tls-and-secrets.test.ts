// TLS and secrets (issue 10, rows 11 and 12). Certificates are made by openssl in the test: a CA,
// a server certificate for 127.0.0.1/localhost and a client certificate. A real TLS client and a
// real gRPC client (grpc-js with the CA) talk to HTTPS and both gRPC ports; with --tls-client-ca
// a client without a certificate is refused on every port. Deliveries reach an https app trusted
// through --app-tls-ca. Tokens come from files, never show in the logs, and guard WatchHosts and
// GET /v1.0/apps like every other call.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { credentials, Metadata, status, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary } from './grpc/helpers.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { startNode, type Node } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'duetime-tls-'));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate (127.0.0.1, ::1, localhost) and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=duetime test CA');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=a client');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext');
}

const pem = (name: string) => readFileSync(file(name));
const nodes: Node[] = [];
const agents: Agent[] = [];

async function start(config: Parameters<typeof startNode>[0]): Promise<Node> {
  const node = await startNode(config);
  nodes.push(node);
  return node;
}

function agent(options: { ca?: boolean; client?: boolean } = {}): Agent {
  const made = new Agent({
    connect: {
      ...(options.ca ? { ca: pem('ca.crt') } : {}),
      ...(options.client ? { cert: pem('client.crt'), key: pem('client.key') } : {}),
    },
  });
  agents.push(made);
  return made;
}

async function get(url: string, dispatcher: Agent, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(url, { dispatcher, headers });
  await response.body.dump();
  return response.statusCode;
}

function tlsClient<T extends Client>(make: (port: number) => T, port: number, withClientCert: boolean): T {
  // The Dapr clients are built insecure; rebuild the same service over TLS with our CA.
  const insecure = make(port);
  const Ctor = insecure.constructor as new (address: string, creds: ReturnType<typeof credentials.createSsl>) => T;
  insecure.close();
  const creds = withClientCert ? credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt')) : credentials.createSsl(pem('ca.crt'));
  return new Ctor(`localhost:${port}`, creds);
}

beforeAll(() => {
  makeCertificates();
});
afterAll(async () => {
  for (const node of nodes) await node.close();
  for (const made of agents) await made.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS on every port', () => {
  it('HTTPS and gRPC over TLS with --tls-cert and --tls-key; plain connections are refused', async () => {
    const node = await start({ tlsCert: file('server.crt'), tlsKey: file('server.key') });
    expect(node.duetime.httpUrl).toMatch(/^https:\/\//);
    expect(await get(`${node.duetime.httpUrl}/healthz`, agent({ ca: true }))).toBe(200);
    // Without our CA the certificate is not trusted; over plain HTTP there is no answer.
    await expect(get(`${node.duetime.httpUrl}/healthz`, agent())).rejects.toThrow();
    await expect(get(node.duetime.httpUrl.replace('https:', 'http:') + '/healthz', agent())).rejects.toThrow();

    const scheduler = tlsClient(daprSchedulerClient, node.duetime.schedulerPort, false);
    const runtime = tlsClient(daprRuntimeClient, node.duetime.grpcPort, false);
    try {
      await unary(scheduler, 'ListJobs', { metadata: { appId: 'app', namespace: 'default' } });
      await unary(runtime, 'GetJobAlpha1', { name: 'none' }).catch((error: ServiceError) => expect(error.code).toBe(status.NOT_FOUND));
    } finally {
      scheduler.close();
      runtime.close();
    }
    const plain = daprSchedulerClient(node.duetime.schedulerPort);
    try {
      const error = await grpcError(unary(plain, 'ListJobs', { metadata: { appId: 'app', namespace: 'default' } }));
      expect(error.code).toBe(status.UNAVAILABLE);
    } finally {
      plain.close();
    }
  });

  it('with --tls-client-ca, a client without a certificate signed by it is refused on every port', async () => {
    const node = await start({ tlsCert: file('server.crt'), tlsKey: file('server.key'), tlsClientCa: file('ca.crt') });
    expect(await get(`${node.duetime.httpUrl}/healthz`, agent({ ca: true, client: true }))).toBe(200);
    await expect(get(`${node.duetime.httpUrl}/healthz`, agent({ ca: true }))).rejects.toThrow();

    for (const [make, port] of [
      [daprSchedulerClient, node.duetime.schedulerPort],
      [daprRuntimeClient, node.duetime.grpcPort],
    ] as const) {
      const method = make === daprSchedulerClient ? 'ListJobs' : 'DeleteJobAlpha1';
      const args = make === daprSchedulerClient ? { metadata: { appId: 'app', namespace: 'default' } } : { name: 'none' };
      const withCert = tlsClient(make, port, true);
      const without = tlsClient(make, port, false);
      try {
        await unary(withCert, method, args);
        expect((await grpcError(unary(without, method, args))).code).toBe(status.UNAVAILABLE);
      } finally {
        withCert.close();
        without.close();
      }
    }
  });
});

describe('outbound TLS to apps', () => {
  let app: HttpsServer;
  const received: Array<{ url: string; token: string | undefined }> = [];

  beforeAll(async () => {
    app = createHttpsServer({ cert: pem('server.crt'), key: pem('server.key') }, (req, res) => {
      received.push({ url: req.url ?? '', token: req.headers['dapr-api-token'] as string | undefined });
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => app.close(() => resolve())));

  it('a job is delivered to an https app trusted through --app-tls-ca, with the token from --app-api-token-file', async () => {
    writeFileSync(file('app-token'), 'app-side-secret\n');
    const port = (app.address() as { port: number }).port;
    const node = await start({ appUrl: `https://localhost:${port}`, appTlsCa: file('ca.crt'), appApiTokenFile: file('app-token') });
    expect((await node.call('POST', '/v1.0/jobs/over-tls', { dueTime: '0s' })).status).toBe(204);
    const deadline = Date.now() + 15_000;
    while (!received.some((r) => r.url === '/job/over-tls') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(received.find((r) => r.url === '/job/over-tls')).toEqual({ url: '/job/over-tls', token: 'app-side-secret' });
  });
});

describe('tokens', () => {
  const token = 'file-held-s3cret-token';
  const ordersToken = 'orders-only-token';
  let duetime: RunningDuetime;
  let dataDir: string;
  const logs: string[] = [];
  const node = {
    async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${duetime.httpUrl}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, text };
    },
  };

  beforeAll(async () => {
    writeFileSync(file('api-token'), `${token}\n`);
    writeFileSync(file('config.yaml'), `tokens:\n  - token: ${ordersToken}\n    appId: orders\n`);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-tokens-'));
    duetime = await startDuetime(
      { port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', apiTokenFile: file('api-token'), configFile: file('config.yaml') },
      { logger },
    );
  });
  afterAll(async () => {
    await duetime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('--api-token-file: calls need the token read from the file', async () => {
    expect((await node.call('POST', '/v1.0/jobs/t', { dueTime: '1h' })).status).toBe(401);
    expect((await node.call('POST', '/v1.0/jobs/t', { dueTime: '1h' }, { 'dapr-api-token': 'wrong' })).status).toBe(401);
    expect((await node.call('POST', '/v1.0/jobs/t', { dueTime: '1h' }, { 'dapr-api-token': token })).status).toBe(204);
    expect((await node.call('GET', '/v1.0/jobs/t', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('GET /v1.0/apps: a token bound to an app sees only its own registration', async () => {
    const put = (appId: string, headers: Record<string, string>) => node.call('PUT', `/v1.0/apps/${appId}`, { url: `http://127.0.0.1:9/${appId}` }, headers);
    expect((await put('orders', { 'dapr-api-token': ordersToken })).status).toBe(204);
    expect((await put('billing', { 'dapr-api-token': token, 'dapr-app-id': 'billing' })).status).toBe(204);
    expect((await node.call('GET', '/v1.0/apps')).status).toBe(401);
    const seen = await node.call('GET', '/v1.0/apps', undefined, { 'dapr-api-token': ordersToken });
    expect(seen.status).toBe(200);
    expect((seen.body as { apps: Array<{ appId: string }> }).apps.map((a) => a.appId)).toEqual(['orders']);
    const all = await node.call('GET', '/v1.0/apps', undefined, { 'dapr-api-token': token });
    expect((all.body as { apps: Array<{ appId: string }> }).apps.map((a) => a.appId).sort()).toEqual(['billing', 'orders']);
  });

  it('WatchHosts needs a valid token when tokens are configured', async () => {
    const client = daprSchedulerClient(duetime.schedulerPort);
    const watch = (headers: Record<string, string>): Promise<{ hosts?: unknown[] } | ServiceError> =>
      new Promise((resolve) => {
        const metadata = new Metadata();
        for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
        const call = (client as unknown as { WatchHosts(req: object, md: Metadata): ClientReadableStream<{ hosts?: unknown[] }> }).WatchHosts({}, metadata);
        call.on('data', (message: { hosts?: unknown[] }) => {
          resolve(message);
          call.cancel();
        });
        call.on('error', (error: ServiceError) => resolve(error));
      });
    try {
      expect((await watch({})) as ServiceError).toMatchObject({ code: status.UNAUTHENTICATED });
      expect((await watch({ 'dapr-api-token': 'wrong' })) as ServiceError).toMatchObject({ code: status.UNAUTHENTICATED });
      const answer = (await watch({ 'dapr-api-token': token })) as { hosts?: unknown[] };
      expect(answer.hosts?.length).toBe(1);
    } finally {
      client.close();
    }
  });

  it('no token shows in the log, whatever the requests', async () => {
    await node.call('POST', '/v1.0/jobs/bad', { schedule: 'nonsense' }, { 'dapr-api-token': token });
    await node.call('POST', '/v1.0/jobs/t', 'not json', { 'dapr-api-token': token });
    await node.call('GET', '/v1.0/jobs/none', undefined, { 'dapr-api-token': ordersToken });
    await node.call('GET', '/nowhere', undefined, { authorization: `Bearer ${token}` });
    await node.call('GET', '/v1.0/jobs/t', undefined, { 'dapr-api-token': `${token}-almost` });
    const text = logs.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(token);
    expect(text).not.toContain(ordersToken);
  });
});
