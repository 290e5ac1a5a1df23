// `duetime cluster status`: the replicas of a cluster and the partitions each owns, read from
// any replica's GET /v1.0/cluster. A table for people, --json for scripts.

import Table from 'cli-table3';
import { Command, Option } from 'commander';
import type { ClusterStatusView } from '../api/http/routes/cluster.js';

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('inspect a Duetime cluster');
  cluster
    .command('status')
    .description('show the replicas and the partitions each owns')
    .addOption(new Option('--url <url>', 'HTTP API of any replica').env('DUETIME_URL').default('http://127.0.0.1:3500'))
    .addOption(new Option('--api-token <token>', 'sent as dapr-api-token').env('DUETIME_API_TOKEN'))
    .option('--json', 'print the raw JSON')
    .action(async (options: { url: string; apiToken?: string; json?: boolean }) => {
      const response = await fetch(new URL('/v1.0/cluster', options.url), {
        headers: options.apiToken ? { 'dapr-api-token': options.apiToken } : {},
      }).catch((error: unknown) => {
        throw new Error(`cannot reach ${options.url}: ${error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : String(error)}`);
      });
      const body = (await response.json()) as ClusterStatusView & { message?: string };
      if (!response.ok) throw new Error(`${options.url} answered ${response.status}: ${body.message ?? JSON.stringify(body)}`);
      if (options.json) {
        console.log(JSON.stringify(body, null, 2));
        return;
      }
      console.log(renderStatus(body));
    });
}

export function renderStatus(status: ClusterStatusView): string {
  if (status.mode === 'single') return `single node (store: ${status.store}); no cluster`;
  const table = new Table({ head: ['replica', 'url', 'scheduler', 'partitions', 'share', 'joined'] });
  for (const m of status.members) {
    table.push([
      `${m.id}${m.self ? ' (answering)' : ''}`,
      m.url ?? '',
      m.schedulerAddress ?? '',
      String(m.partitions.length),
      `${((100 * m.partitions.length) / status.partitionCount).toFixed(1)}%`,
      new Date(m.joinedAt).toISOString(),
    ]);
  }
  const health = status.health.registered && status.health.watching ? 'healthy' : `degraded: ${status.health.error ?? 'connecting'}`;
  const lines = [`${status.members.length} replicas, ${status.partitionCount} partitions, ${status.unowned} unowned; ${health}`, table.toString()];
  return lines.join('\n');
}
