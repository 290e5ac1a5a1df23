// Sign-in when API tokens are configured: the token is kept in an HttpOnly cookie (ui-session.ts).

import { html, type Html } from './html.js';

export function loginPage(csrf: string, next: string, problem?: string): Html {
  return html`<h1>Sign in</h1>
<p>This server requires an API token. A token bound to an app shows only that app.</p>
${problem ? html`<p class="notice error" role="alert">${problem}</p>` : ''}
<form method="post" action="/ui/login" class="filters">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<label>API token<input type="password" name="token" required autocomplete="current-password" autofocus></label>
<button type="submit">Sign in</button>
</form>`;
}

export function problemPage(title: string, message: string): Html {
  return html`<h1>${title}</h1><p class="notice error" role="alert">${message}</p><p><a href="/ui">Back to the apps</a></p>`;
}
