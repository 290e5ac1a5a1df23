// The error of a failed etcd call, whichever client made it (grpc-js for leases, the bare HTTP/2
// one for KV calls and watches): the gRPC status code and message, and whether etcd was out of reach.

import { status } from '@grpc/grpc-js';

/** An etcd call failed; `unavailable` when etcd could not be reached or did not answer in time. */
export class EtcdError extends Error {
  constructor(
    readonly method: string,
    readonly grpcCode: number,
    message: string,
  ) {
    super(`etcd ${method}: ${message}`);
    this.name = 'EtcdError';
  }

  get unavailable(): boolean {
    return this.grpcCode === status.UNAVAILABLE || this.grpcCode === status.DEADLINE_EXCEEDED || this.grpcCode === status.CANCELLED;
  }
}
