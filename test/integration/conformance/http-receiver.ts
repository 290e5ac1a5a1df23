// The receiver the HTTP-shaped deliverers' conformance runners share: a RecordingReceiver (a
// real node:http app on loopback) answering as the suite's mode says, plus a loopback port where
// nothing listens, and what a delivery looked like to it.

import type { ReceiverMode, Seen } from '../../conformance/deliverer.suite.js';
import { freePort } from '../../../src/testing/servers/index.js';
import { RecordingReceiver, type Received } from '../../../src/testing/recording-receiver.js';

export interface HttpReceiverRig {
  receiver: RecordingReceiver;
  /** http://127.0.0.1:<port> where nothing listens. */
  refusedUrl: string;
  answer(mode: ReceiverMode): void;
  /** Requests seen since the last drain that `isDelivery` accepts, as the suite sees them. */
  drain(data: (r: Received) => unknown): Seen[];
}

/**
 * `isDelivery` tells deliveries from other requests (the actor deliverer also asks GET
 * /dapr/config); `silentMs` is how long a silent answer waits (past the delivery timeout).
 */
export async function startHttpReceiver(isDelivery: (r: Received) => boolean, silentMs: number, extra?: (r: Received) => { status: number; body?: string; headers?: Record<string, string> } | undefined): Promise<HttpReceiverRig> {
  const receiver = await new RecordingReceiver().start();
  receiver.received.length = 0;
  let mode: ReceiverMode = 'accept';
  receiver.respond = (r) => {
    const special = extra?.(r);
    if (special) return special;
    switch (mode) {
      case 'accept':
        return { status: 200 };
      case 'not-found':
        return { status: 404 };
      case 'server-error':
        return { status: 500, body: 'boom' };
      case 'silent':
        return { status: 200, delayMs: silentMs };
    }
  };
  let drained = 0;
  return {
    receiver,
    refusedUrl: `http://127.0.0.1:${await freePort()}`,
    answer: (m) => {
      mode = m;
    },
    drain: (data) => {
      const fresh = receiver.received.slice(drained).filter(isDelivery);
      drained = receiver.received.length;
      return fresh.map((r) => ({
        triggerId: String(r.headers['duetime-trigger-id']),
        attempt: Number(r.headers['duetime-attempt']),
        scheduledAt: r.scheduledAt ?? Number.NaN,
        data: data(r),
      }));
    },
  };
}
