// What one unary Txn costs the client: through @grpc/grpc-js (the store's KV calls until
// 2026-12-04 evening), through the store's EtcdClient (bare node:http2 since then,
// grpc-http2-unary.ts) and through a minimal inline node:http2 call, all with the same
// hand-written codec, on a fresh etcd. Each call is a batch of 8 nested one-put transactions, as
// a trigger burst's commits are; two calls in flight. CPU of this process per call
// (process.cpuUsage), alternating three times. Nothing is asserted.
//   npx tsx bench/etcd-call-probe.ts [--calls 4000]

import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import http2 from 'node:http2';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { TxnRequest } from '../src/adapters/store-etcd/etcd-api.js';
import { EtcdClient } from '../src/adapters/store-etcd/etcd-client.js';
import { decodeTxnResponse, encodeTxnRequest } from '../src/adapters/store-etcd/etcd-codec.js';
import { put } from '../src/adapters/store-etcd/txn-ops.js';
import { startEtcd } from '../src/testing/servers/etcd.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '4000' } } });
const CALLS = Number(args.calls);
const etcd = await startEtcd();
const client = new EtcdClient([`127.0.0.1:${etcd.port}`]);
const session = http2.connect(`http://127.0.0.1:${etcd.port}`);
const GrpcKv = makeGenericClientConstructor(
  {
    Txn: {
      path: '/etcdserverpb.KV/Txn',
      requestStream: false,
      responseStream: false,
      requestSerialize: (r: TxnRequest) => encodeTxnRequest(r),
      requestDeserialize: () => ({}),
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: decodeTxnResponse,
    },
  },
  'KV',
);
const grpcKv = new GrpcKv(`127.0.0.1:${etcd.port}`, credentials.createInsecure()) as unknown as {
  Txn(r: TxnRequest, o: { deadline: Date }, cb: (e: ServiceError | null, v: unknown) => void): void;
  close(): void;
};
const viaGrpcJs = (txn: TxnRequest): Promise<unknown> =>
  new Promise((resolve, reject) => grpcKv.Txn(txn, { deadline: new Date(Date.now() + 5_000) }, (e, v) => (e ? reject(e) : resolve(v))));

const request = (i: number): TxnRequest => ({
  compare: [],
  success: Array.from({ length: 8 }, (_, j) => ({ requestTxn: { compare: [], success: [put(Buffer.from(`/call-probe/k${j}`), Buffer.alloc(100, i % 256))], failure: [] } })),
  failure: [],
});

/** A gRPC unary call by hand: 5-byte frame header, then the message; status in the trailers. */
function bare(txn: TxnRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const body = encodeTxnRequest(txn);
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.KV/Txn', 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    stream.on('trailers', (trailers) => (grpcStatus = String(trailers['grpc-status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (grpcStatus !== '0') return reject(new Error(`grpc-status ${grpcStatus}`));
      const all = Buffer.concat(chunks);
      resolve(decodeTxnResponse(all.subarray(5, 5 + all.readUInt32BE(1))));
    });
    stream.on('error', reject);
    stream.end(frame);
  });
}

async function run(name: string, call: (txn: TxnRequest) => Promise<unknown>): Promise<void> {
  const before = process.cpuUsage();
  let i = 0;
  const lane = async (): Promise<void> => {
    while (i < CALLS) await call(request(i++));
  };
  await Promise.all([lane(), lane()]);
  const used = process.cpuUsage(before);
  console.log(JSON.stringify({ client: name, calls: CALLS, cpuMicrosPerCall: Math.round((used.user + used.system) / CALLS), load: os.loadavg()[0] }));
}

try {
  for (let round = 0; round < 3; round++) {
    await run('grpc-js', viaGrpcJs);
    await run('EtcdClient (http2)', (txn) => client.txn(txn));
    await run('bare http2', bare);
  }
} finally {
  client.close();
  grpcKv.close();
  session.close();
  await etcd.stop();
}
