// GET /v1.0/cluster: the replicas of a cluster and the partitions each owns (what `duetime
// cluster status` shows). A single node on SQLite answers { mode: "single" }.

import type { FastifyInstance } from 'fastify';
import type { ClusterStatus } from '../../../app/cluster/cluster-member.js';
import { identify, type IdentityOptions } from '../identity.js';

export type ClusterStatusView = ClusterStatus | { mode: 'single'; store: string };

export function registerClusterRoutes(app: FastifyInstance, status: () => ClusterStatusView, identity: IdentityOptions): void {
  app.get('/v1.0/cluster', async (request) => {
    identify(request, identity); // the same tokens as every other call
    return status();
  });
}
