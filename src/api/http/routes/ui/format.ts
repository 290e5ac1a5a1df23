// Small text formats shared by the dashboard's pages.

import { html, type Html } from './html.js';

/** "2026-12-04 10:15:02 UTC (in 3 s)" style: the ISO instant and how far from now. */
export function when(iso: string | undefined, now: number): Html | string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  const text = iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return html`<time datetime="${iso}">${text}</time> <span class="muted">(${relative(at - now)})</span>`;
}

export function relative(deltaMs: number): string {
  const future = deltaMs >= 0;
  const text = duration(Math.abs(deltaMs));
  return future ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
  return `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`;
}

export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}">${state}</span>`;
}
