// The frame of every dashboard page: head, navigation, the sign-out form when signed in.

import { html, type Html } from './html.js';

export type Section = 'apps' | 'live' | 'cluster' | 'login';

export interface PageFrame {
  title: string;
  section: Section;
  /** The session's csrf value, for the sign-out form. */
  csrf: string;
  /** Signed in with a token (the sign-out form is shown). */
  signedIn: boolean;
  /** Scripts from /ui/assets/ to load. */
  scripts?: string[];
}

const SECTIONS: Array<{ id: Section; label: string; href: string }> = [
  { id: 'apps', label: 'Apps and jobs', href: '/ui' },
  { id: 'live', label: 'Live', href: '/ui/live' },
  { id: 'cluster', label: 'Cluster', href: '/ui/cluster' },
];

export function page(frame: PageFrame, body: Html): string {
  const nav = SECTIONS.map((s) => html`<li><a href="${s.href}"${s.id === frame.section ? html` aria-current="page"` : ''}>${s.label}</a></li>`);
  const signOut = frame.signedIn
    ? html`<form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${frame.csrf}"><button type="submit">Sign out</button></form>`
    : '';
  const scripts = (frame.scripts ?? []).map((s) => html`<script src="/ui/assets/${s}" defer></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Duetime</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
<link rel="icon" href="/ui/assets/icon.svg" type="image/svg+xml">
${scripts}
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header>
<a class="brand" href="/ui">Duetime</a>
<nav aria-label="Dashboard"><ul>${nav}</ul></nav>
${signOut}
</header>
<main id="content" tabindex="-1">
${body}
</main>
</body>
</html>
`.toString();
}
