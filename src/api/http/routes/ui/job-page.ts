// One job: its definition as GET shows it, its status, the history of its ticks, and the
// actions pause, resume, trigger now and delete (delete asks for confirmation on its own page).

import type { HistoryView, JobView } from '../../../../app/job-view.js';
import { duration, stateBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { actionUrl, appUrl, jobUrl, type AppRef } from './urls.js';

export interface JobPageInput {
  app: AppRef;
  job: JobView;
  history: HistoryView[];
  csrf: string;
  defaultNamespace: string;
  now: number;
  notice?: string;
}

function actionForm(input: JobPageInput, action: 'pause' | 'resume' | 'trigger', label: string): Html {
  return html`<form class="inline" method="post" action="${actionUrl(input.app, input.job.name, action)}">
<input type="hidden" name="csrf" value="${input.csrf}"><input type="hidden" name="ns" value="${input.app.namespace}">
<button type="submit">${label}</button></form>`;
}

export function jobPage(input: JobPageInput): Html {
  const { app, job, history, now, defaultNamespace } = input;
  const { status, name, ...definition } = job;
  const live = status.state !== 'completed' && status.state !== 'failed';
  const actions = live
    ? html`<div class="actions" role="group" aria-label="Actions">
${status.state === 'paused' ? actionForm(input, 'resume', 'Resume') : actionForm(input, 'pause', 'Pause')}
${actionForm(input, 'trigger', 'Trigger now')}
<a class="button" href="${jobUrl(app, name, defaultNamespace, { confirm: 'delete' })}">Delete…</a>
</div>`
    : html`<div class="actions" role="group" aria-label="Actions"><a class="button" href="${jobUrl(app, name, defaultNamespace, { confirm: 'delete' })}">Delete…</a></div>`;
  const rows = history.map((h) => {
    const late = Date.parse(h.finishedTime) - Date.parse(h.scheduledTime);
    return html`<tr>
<td>${when(h.scheduledTime, now)}</td>
<td class="num">${h.attempt}</td>
<td>${stateBadge(h.outcome)}${h.manual ? html` <span class="muted">manual</span>` : ''}${h.detail ? html`<div class="muted name">${h.detail}</div>` : ''}</td>
<td class="num">${duration(Math.max(0, late))}</td>
</tr>`;
  });
  return html`<p><a href="${appUrl(app, defaultNamespace)}">← Jobs of ${app.appId}</a></p>
<h1>${name}</h1>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${actions}
<h2>Status</h2>
<dl class="facts">
<dt>State</dt><dd>${stateBadge(status.state)}${status.manualTriggerPending ? html` <span class="muted">manual trigger pending</span>` : ''}</dd>
<dt>Next trigger</dt><dd>${when(status.nextTrigger, now)}</dd>
<dt>Last trigger</dt><dd>${when(status.lastTrigger, now)}</dd>
<dt>Ticks done</dt><dd>${status.count}</dd>
<dt>Failed attempts of this tick</dt><dd>${status.attempts}</dd>
${status.finishedTime ? html`<dt>Finished</dt><dd>${when(status.finishedTime, now)}</dd>` : ''}
</dl>
<h2>Definition</h2>
<pre>${JSON.stringify(definition, null, 2)}</pre>
<h2>History</h2>
${history.length === 0 ? html`<p class="muted">No tick has finished yet.</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Scheduled</th><th scope="col" class="num">Attempt</th><th scope="col">Outcome</th><th scope="col" class="num">Lateness (finished − scheduled)</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`}`;
}

export function confirmDeletePage(app: AppRef, name: string, csrf: string, defaultNamespace: string): Html {
  return html`<h1>Delete ${name}?</h1>
<p>The job, its progress and its history are deleted; it will not trigger again. This cannot be undone.</p>
<form method="post" action="${actionUrl(app, name, 'delete')}" class="actions">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="ns" value="${app.namespace}"><input type="hidden" name="confirm" value="yes">
<button type="submit" class="danger">Delete the job</button>
<a href="${jobUrl(app, name, defaultNamespace)}">Cancel</a>
</form>`;
}
