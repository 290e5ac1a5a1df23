// listen() against a scheduler that has no WatchHosts (an older server, or another
// implementation of the API): grpc-js answers UNIMPLEMENTED, and the listener keeps to the
// address it was given, as it did before it followed WatchHosts. The server here is a real gRPC
// server on a loopback port that serves WatchJobs only, from Duetime's own .proto files; it sends
// one trigger and records the result that comes back.

import { Metadata, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue, loadDuetimeProtos, VALUE_TYPE_URL } from '@duetime/sdk/protocol';
import { listen, type JobTrigger } from '@duetime/sdk';

let server: Server;
let address: string;
const results: Array<{ id: string; status: string }> = [];

beforeAll(async () => {
  server = new Server();
  server.addService(loadDuetimeProtos().schedulerService, {
    WatchJobs: (call: ServerDuplexStream<{ watchJobRequestType?: string; result?: { id: string; status: string } }, unknown>) => {
      call.on('data', (message) => {
        if (message.watchJobRequestType === 'initial') {
          const accepted = new Metadata();
          accepted.set('duetime-watch', 'accepted');
          call.sendMetadata(accepted);
          call.write({ name: 'old-job', id: '7', data: { type_url: VALUE_TYPE_URL, value: encodeValue({ from: 'old' }) }, metadata: { appId: 'worker', namespace: 'default', target: { job: {} } } });
        } else if (message.result) {
          results.push({ id: message.result.id, status: message.result.status });
        }
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  address = `127.0.0.1:${port}`;
});
afterAll(() => {
  server?.forceShutdown();
});

describe('listen() and a server without WatchHosts', () => {
  it('keeps to the given address, receives and acks', async () => {
    const seen: JobTrigger[] = [];
    const errors: string[] = [];
    const listener = listen({ address, appId: 'worker', handlers: { 'old-job': (job) => void seen.push(job) }, onError: (e) => errors.push(e.message), reconnect: { initialMs: 50, maxMs: 500 } });
    try {
      await listener.ready();
      expect(listener.connections).toEqual([{ address, connected: true }]);
      await expect.poll(() => results, { timeout: 10_000 }).toEqual([{ id: '7', status: 'SUCCESS' }]);
      expect(seen.map((j) => [j.name, j.data])).toEqual([['old-job', { from: 'old' }]]);
      expect(errors.some((e) => /WatchHosts is not available/.test(e))).toBe(true);
    } finally {
      await listener.close();
    }
  });
});
