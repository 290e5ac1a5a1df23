// The dashboard's first page: the apps this server knows and their jobs counted by state.

import type { JobCounts } from '../../../../app/dashboard/job-counts.js';
import { html, type Html } from './html.js';
import { appUrl, type AppRef } from './urls.js';

export interface AppRow extends AppRef {
  /** Where it receives triggers, when registered. */
  url?: string;
  counts: JobCounts;
}

export function appsPage(rows: AppRow[], defaultNamespace: string, bound: boolean): Html {
  const count = (n: number, c: JobCounts) => (c.partial ? `${n}+` : String(n));
  const body = rows.map(
    (r) => html`<tr>
<td class="name"><a href="${appUrl(r, defaultNamespace)}">${r.appId}</a>${r.namespace !== defaultNamespace ? html` <span class="muted">(${r.namespace})</span>` : ''}</td>
<td class="name hide-narrow">${r.url ?? html`<span class="muted">none</span>`}</td>
<td class="num">${count(r.counts.active, r.counts)}</td>
<td class="num">${count(r.counts.paused, r.counts)}</td>
<td class="num">${count(r.counts.staged, r.counts)}</td>
<td class="num">${count(r.counts.failing, r.counts)}</td>
<td class="num hide-narrow">${count(r.counts.finished, r.counts)}</td>
</tr>`,
  );
  const open = bound
    ? ''
    : html`<form class="filters" method="get" action="/ui">
<label>App id<input type="text" name="app" required maxlength="512" autocomplete="off"></label>
<label>Namespace<input type="text" name="ns" value="${defaultNamespace}" maxlength="512" autocomplete="off"></label>
<button type="submit">Open app</button>
</form>`;
  return html`<h1>Apps</h1>
<p class="muted">Apps with a registered endpoint, staged triggers, or the server's default app. Failing: retrying a failed attempt, or given up.</p>
${open}
<div class="table-wrap"><table>
<caption class="skip">Jobs per app by state</caption>
<thead><tr><th scope="col">App</th><th scope="col" class="hide-narrow">Endpoint</th><th scope="col" class="num">Active</th><th scope="col" class="num">Paused</th><th scope="col" class="num">Staged</th><th scope="col" class="num">Failing</th><th scope="col" class="num hide-narrow">Finished</th></tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}
