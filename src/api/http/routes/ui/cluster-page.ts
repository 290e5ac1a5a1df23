// The cluster page: replicas, the partitions each owns, unowned partitions and lease health; a
// single node on SQLite says so.

import { html, type Html } from './html.js';
import type { ClusterStatusView } from '../cluster.js';

/** "0-3, 7, 9-12": partitions as ranges. */
function ranges(partitions: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < partitions.length; ) {
    let j = i;
    while (j + 1 < partitions.length && partitions[j + 1] === partitions[j]! + 1) j++;
    parts.push(i === j ? String(partitions[i]) : `${partitions[i]}-${partitions[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function clusterPage(status: ClusterStatusView, now: number): Html {
  if (status.mode === 'single') {
    return html`<h1>Cluster</h1>
<p>This is a single node (store: ${status.store}); it owns every job. Run replicas on etcd (<code>--store etcd://…</code>) to form a cluster.</p>`;
  }
  const health = status.health;
  const members = status.members.map(
    (m) => html`<tr>
<td class="name">${m.id}${m.self ? html` <span class="muted">(this replica)</span>` : ''}</td>
<td class="name hide-narrow">${m.url ?? '—'}</td>
<td class="num">${m.partitions.length}</td>
<td class="name hide-narrow">${ranges(m.partitions)}</td>
<td class="hide-narrow">${Math.round((now - m.joinedAt) / 1000)} s ago</td>
</tr>`,
  );
  return html`<h1>Cluster</h1>
<div class="cards">
<div class="card"><div class="muted">Replicas</div><div class="value">${status.members.length}</div></div>
<div class="card"><div class="muted">Partitions</div><div class="value">${status.partitionCount}</div></div>
<div class="card"><div class="muted">Unowned partitions</div><div class="value">${status.unowned}</div></div>
<div class="card"><div class="muted">Lease health</div><div class="value">${health.registered && health.watching && !health.error ? 'ok' : 'degraded'}</div></div>
</div>
<dl class="facts">
<dt>This replica's lease</dt><dd>${health.registered ? 'registered' : 'not registered'}</dd>
<dt>Watching the cluster</dt><dd>${health.watching ? 'yes' : 'no'}</dd>
${health.error ? html`<dt>Last error</dt><dd>${health.error}</dd>` : ''}
</dl>
<h2>Replicas</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Replica</th><th scope="col" class="hide-narrow">HTTP URL</th><th scope="col" class="num">Partitions</th><th scope="col" class="hide-narrow">Which</th><th scope="col" class="hide-narrow">Joined</th></tr></thead>
<tbody>${members}</tbody>
</table></div>`;
}
