// An app's job list: search by name prefix, a state filter, pages, next trigger times.

import { JOB_FILTERS, type JobFilter } from '../../../../app/dashboard/job-filter.js';
import type { JobSearchPage } from '../../../../app/dashboard/job-search.js';
import { stateBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { appUrl, jobUrl, type AppRef } from './urls.js';

export interface JobsQuery {
  prefix?: string;
  filter?: JobFilter;
  cursor?: string;
}

export function jobsPage(app: AppRef, query: JobsQuery, result: JobSearchPage, defaultNamespace: string, now: number, notice?: string): Html {
  const rows = result.jobs.map(
    (job) => html`<tr>
<td class="name"><a href="${jobUrl(app, job.name, defaultNamespace)}">${job.name}</a></td>
<td>${stateBadge(job.status.state)}${job.status.attempts > 0 ? html` <span class="state state-failing">${job.status.attempts} failed</span>` : ''}</td>
<td class="name hide-narrow">${job.schedule ?? job.dueTime ?? '—'}</td>
<td>${when(job.status.nextTrigger, now)}</td>
<td class="num hide-narrow">${job.status.count}</td>
</tr>`,
  );
  const options = [html`<option value="">any state</option>`, ...JOB_FILTERS.map((f) => html`<option value="${f}"${f === query.filter ? html` selected` : ''}>${f}</option>`)];
  const ns = app.namespace !== defaultNamespace ? html`<input type="hidden" name="ns" value="${app.namespace}">` : '';
  const next = result.nextCursor !== undefined ? html`<a href="${appUrl(app, defaultNamespace, { prefix: query.prefix, state: query.filter, cursor: result.nextCursor })}" rel="next">Next page</a>` : '';
  const first = query.cursor ? html`<a href="${appUrl(app, defaultNamespace, { prefix: query.prefix, state: query.filter })}">First page</a>` : '';
  return html`<h1>Jobs of ${app.appId}${app.namespace !== defaultNamespace ? html` <span class="muted">(${app.namespace})</span>` : ''}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<form class="filters" method="get" action="${appUrl(app, defaultNamespace)}" role="search">
${ns}
<label>Name starts with<input type="search" name="prefix" value="${query.prefix ?? ''}" maxlength="512" autocomplete="off"></label>
<label>State<select name="state">${options}</select></label>
<button type="submit">Search</button>
</form>
${result.jobs.length === 0 ? html`<p>No jobs${query.prefix || query.filter ? ' match' : ''}.</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col" class="hide-narrow">Schedule</th><th scope="col">Next trigger</th><th scope="col" class="num hide-narrow">Ticks</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`}
<nav class="pager" aria-label="Pages">${first}${next}</nav>`;
}
