// The live view: delivery attempts per second and the trigger lateness histogram. Rendered with
// the totals since start; /ui/assets/live.js then polls /ui/live/stats every second and shows the
// rate and the last minute.

import { html, type Html } from './html.js';
import type { LiveStats } from './live-stats.js';

function bucketLabel(le: number | null, previous: number | null | undefined): string {
  const show = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s} s`);
  if (le === null) return previous == null ? 'any' : `over ${show(previous)}`;
  return `up to ${show(le)}`;
}

export function livePage(stats: LiveStats): Html {
  const buckets = stats.lateness.buckets;
  const counts = buckets.map((b, i) => b.cumulative - (i > 0 ? buckets[i - 1]!.cumulative : 0));
  const max = Math.max(1, ...counts);
  const rows = buckets.map(
    (b, i) => html`<tr><th scope="row">${bucketLabel(b.le, buckets[i - 1]?.le)}</th>
<td class="bar"><progress id="bucket-${i}" max="${max}" value="${counts[i]!}" aria-label="${bucketLabel(b.le, buckets[i - 1]?.le)}"></progress></td>
<td class="num" id="bucket-count-${i}">${counts[i]!}</td></tr>`,
  );
  const outcomes = Object.entries(stats.attempts).map(([outcome, n]) => html`<tr><th scope="row">${outcome}</th><td class="num" id="outcome-${outcome}">${n}</td></tr>`);
  const mean = stats.lateness.count > 0 ? `${Math.round((stats.lateness.sumSeconds / stats.lateness.count) * 1000)} ms` : '—';
  return html`<h1>Live</h1>
<div id="live">
<p class="muted" aria-live="polite" id="live-status">Totals since the server started; updates every second with a browser that runs scripts.</p>
<div class="cards">
<div class="card"><div class="muted">Attempts per second</div><div class="value" id="rate">—</div></div>
<div class="card"><div class="muted">Attempts since start</div><div class="value">${stats.totalAttempts}</div></div>
<div class="card"><div class="muted">Mean lateness since start</div><div class="value">${mean}</div></div>
<div class="card"><div class="muted">Window shown</div><div class="value" id="window">since start</div></div>
</div>
<h2>Attempts by outcome</h2>
<div class="table-wrap"><table><tbody>${outcomes.length > 0 ? outcomes : html`<tr><td class="muted">No attempt yet.</td></tr>`}</tbody></table></div>
<h2>Trigger lateness (delivery start minus due time)</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Lateness</th><th scope="col">Triggers</th><th scope="col" class="num">Count</th></tr></thead><tbody>${rows}</tbody></table></div>
</div>`;
}
