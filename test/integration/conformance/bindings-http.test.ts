import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { outputBindingConformance } from '../../conformance/output-binding.suite.js';
import { freePort } from '../../../src/testing/servers/index.js';
import { registryFromYaml, webhookBindingYaml } from '../components/helpers.js';

// bindings.http against a real node:http receiver on loopback that records the JSON bodies it
// gets, and can be stopped (its port refuses) or silenced (it takes calls and never answers).

const CONNECT_MS = 1000;
const OPERATION_MS = 1000;

outputBindingConformance('bindings.http', async () => {
  let received: unknown[] = [];
  let silent = false;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(body === '' ? undefined : (JSON.parse(body) as unknown));
      if (silent) hanging.add(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const make = async (target: number) => {
    const registry = await registryFromYaml(
      webhookBindingYaml(`http://127.0.0.1:${target}/api`, { connectTimeout: `${CONNECT_MS}ms`, operationTimeout: `${OPERATION_MS}ms` }),
    );
    return registry.bindings.get('webhook')!;
  };
  const stop = async () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  };
  return {
    label: 'binding "webhook" (bindings.http)',
    operation: 'create',
    // The whole request is held to connectTimeout + operationTimeout.
    rejectWithinMs: CONNECT_MS + OPERATION_MS,
    make: () => make(port),
    makeUnreachable: async () => make(await freePort()),
    drain: () => {
      const got = received;
      received = [];
      return got;
    },
    stopReceiver: stop,
    startReceiver: () => listen(port),
    silence: (on) => {
      silent = on;
      if (!on) {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
    },
    cleanup: async () => {
      if (server.listening) await stop();
    },
  };
});
