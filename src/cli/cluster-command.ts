// `duetime cluster status`: the replicas of a cluster and the partitions each owns, read from
// any replica's GET /v1.0/cluster. A table for people, --json for scripts.

import { Command, Option } from 'commander';
import type { ClusterStatusView } from '../api/http/routes/cluster.js';
import { callApi, connectionOf, DEFAULT_URL, expectShape, table } from './connection.js';

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('inspect a Duetime cluster');
  cluster
    .command('status')
    .description('show the replicas and the partitions each owns')
    .addOption(new Option('--url <url>', 'HTTP API of any replica').env('DUETIME_URL').default(DEFAULT_URL))
    .addOption(new Option('--api-token <token>', 'sent as dapr-api-token').env('DUETIME_API_TOKEN'))
    .option('--json', 'print the raw JSON')
    .action(async (_options: unknown, command: Command) => {
      const connection = connectionOf(command);
      const body = expectShape<ClusterStatusView>(await callApi(connection, 'GET', '/v1.0/cluster'), (v) => v.mode === 'single' || v.mode === 'cluster');
      if (connection.json) {
        console.log(JSON.stringify(body, null, 2));
        return;
      }
      console.log(renderStatus(body));
    });
}

export function renderStatus(status: ClusterStatusView): string {
  if (status.mode === 'single') return `single node (store: ${status.store}); no cluster`;
  const rows = table(['replica', 'url', 'scheduler', 'partitions', 'share', 'joined']);
  for (const m of status.members) {
    rows.push([
      `${m.id}${m.self ? ' (answering)' : ''}`,
      m.url ?? '',
      m.schedulerAddress ?? '',
      String(m.partitions.length),
      `${((100 * m.partitions.length) / status.partitionCount).toFixed(1)}%`,
      new Date(m.joinedAt).toISOString(),
    ]);
  }
  const health = status.health.registered && status.health.watching ? 'healthy' : `degraded: ${status.health.error ?? 'connecting'}`;
  const lines = [`${status.members.length} replicas, ${status.partitionCount} partitions, ${status.unowned} unowned; ${health}`, rows.toString()];
  return lines.join('\n');
}
