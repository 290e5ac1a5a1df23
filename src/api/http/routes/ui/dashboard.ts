// The dashboard at /ui (docs/dashboard.md): server-rendered HTML pages over the same use cases
// as the API, under the same token rules. Actions are HTML forms posted to /ui routes, which take
// url-encoded bodies (the API's JSON routes still refuse them) and defend themselves against
// cross-site requests (ui-session.ts). Every page is sent with a Content-Security-Policy that
// allows styles, scripts and requests from this server only.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { resolveCaller, type Caller, type IdentityOptions } from '../../../../app/caller-identity.js';
import { countJobs } from '../../../../app/dashboard/job-counts.js';
import { isJobFilter, type JobFilter } from '../../../../app/dashboard/job-filter.js';
import { searchJobs } from '../../../../app/dashboard/job-search.js';
import type { JobsService } from '../../../../app/jobs-service.js';
import { asDuetimeError } from '../../../../app/store-failures.js';
import { DuetimeError } from '../../../../core/errors.js';
import type { ClusterStatusView } from '../cluster.js';
import { appsPage, type AppRow } from './apps-page.js';
import { ASSETS } from './assets.js';
import { clusterPage } from './cluster-page.js';
import type { Html } from './html.js';
import { confirmDeletePage, jobPage } from './job-page.js';
import { jobsPage } from './jobs-page.js';
import { page, type Section } from './layout.js';
import { livePage } from './live-page.js';
import { readLiveStats } from './live-stats.js';
import { loginPage, problemPage } from './login-page.js';
import { clearTokenCookie, csrfMatches, ensureSession, fromSameOrigin, presentedToken, setTokenCookie } from './ui-session.js';
import { appUrl, jobUrl, type AppRef } from './urls.js';

export interface DashboardDeps {
  jobs: JobsService;
  /** The apps the apps page lists (registered, with staged triggers, the default app). */
  knownApps(): Promise<Array<AppRef & { url?: string }>>;
  metrics: Registry;
  cluster(): ClusterStatusView;
  identity: IdentityOptions;
  /** Served over TLS: cookies get Secure. */
  secure: boolean;
  /** Current time, ms. @defaultValue Date.now */
  now?: () => number;
}

/** Most apps counted on the apps page (each count is a bounded walk of its jobs). */
const MAX_APPS_SHOWN = 100;
const HISTORY_SHOWN = 50;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

const STATUS_OF: Record<string, number> = { invalid: 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409, aborted: 409, 'too-large': 413 };

const DONE: Record<string, string> = { paused: 'Paused.', resumed: 'Resumed.', triggered: 'Triggered: the trigger is on its way.' };
const ACTIONS = { pause: 'paused', resume: 'resumed', trigger: 'triggered' } as const;

type Fields = Record<string, string | undefined>;
interface AppParams {
  appId: string;
}
interface JobParams extends AppParams {
  name: string;
}

class SignInNeeded extends Error {}

export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): void {
  const now = deps.now ?? Date.now;
  const defaultNamespace = deps.identity.defaultNamespace;
  // Fixed at start: a reload may change the tokens but never whether there are any (token-set.ts).
  const tokensRequired = deps.identity.tokens.required;

  void app.register(async (ui) => {
    // Forms post url-encoded fields; only here, the API's routes keep refusing them.
    ui.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      const fields: Fields = {};
      for (const [k, v] of new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))) fields[k] ??= v;
      done(null, fields);
    });
    ui.addHook('onSend', async (_request, reply, payload) => {
      void reply.headers(SECURITY_HEADERS);
      return payload;
    });
    ui.setErrorHandler((error, request, reply) => {
      const known = error instanceof DuetimeError ? error : asDuetimeError(error);
      if (error instanceof SignInNeeded) return void redirect(reply, `/ui/login?next=${encodeURIComponent(request.url)}`);
      if (known?.kind === 'unauthenticated' && request.method === 'GET') {
        return void redirect(reply, `/ui/login?next=${encodeURIComponent(request.url)}&problem=invalid`);
      }
      const status = known ? (STATUS_OF[known.kind] ?? 503) : ((error as { statusCode?: number }).statusCode ?? 500);
      if (status >= 500) request.log.error({ err: error, reqId: request.id }, 'dashboard request failed');
      const message = known ? known.message : status < 500 ? (error as Error).message : 'internal error; see the server log';
      return void render(request, reply, 'apps', 'Not done', problemPage(status === 404 ? 'Not found' : 'Not done', message), status);
    });

    const render = (request: FastifyRequest, reply: FastifyReply, section: Section, title: string, body: Html, status = 200, scripts?: string[]) => {
      const csrf = ensureSession(request, reply, deps.secure);
      const signedIn = tokensRequired && presentedToken(request) !== undefined;
      return reply
        .status(status)
        .type('text/html; charset=utf-8')
        .send(page({ title, section, csrf, signedIn, ...(scripts ? { scripts } : {}) }, body));
    };

    /** Who is asking, as the API would decide; a token is required when tokens are configured. */
    const callerOf = (request: FastifyRequest, claims: { appId?: string; namespace?: string } = {}): Caller => {
      const token = presentedToken(request);
      if (tokensRequired && token === undefined) throw new SignInNeeded();
      return resolveCaller({ appId: claims.appId, namespace: claims.namespace, token }, deps.identity);
    };

    /** A form post must come from this server's own pages: same origin and the session's csrf value. */
    const checkForm = (request: FastifyRequest): Fields => {
      const fields = (request.body ?? {}) as Fields;
      if (!fromSameOrigin(request) || !csrfMatches(request, typeof fields.csrf === 'string' ? fields.csrf : undefined)) {
        throw new DuetimeError('forbidden', 'ERR_UI_FORM', 'this form was not sent from this dashboard (or the session expired): reload the page and try again');
      }
      return fields;
    };

    ui.get<{ Params: { file: string } }>('/ui/assets/:file', async (request, reply) => {
      const asset = Object.hasOwn(ASSETS, request.params.file) ? ASSETS[request.params.file] : undefined;
      if (!asset) return reply.status(404).type('text/plain').send('not found');
      return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
    });

    ui.get('/ui/', async (_request, reply) => redirect(reply, '/ui'));

    ui.get<{ Querystring: Fields }>('/ui', async (request, reply) => {
      const caller = callerOf(request);
      if (request.query.app) return redirect(reply, appUrl({ appId: request.query.app, namespace: request.query.ns || defaultNamespace }, defaultNamespace));
      const known = caller.bound ? [{ namespace: caller.namespace, appId: caller.appId }] : (await deps.knownApps()).slice(0, MAX_APPS_SHOWN);
      const urls = new Map((await deps.knownApps()).map((a) => [`${a.namespace}/${a.appId}`, a.url]));
      const rows: AppRow[] = await Promise.all(
        known.map(async (a) => {
          const url = urls.get(`${a.namespace}/${a.appId}`);
          return { ...a, ...(url ? { url } : {}), counts: await countJobs(deps.jobs, a.namespace, a.appId) };
        }),
      );
      return render(request, reply, 'apps', 'Apps', appsPage(rows, defaultNamespace, caller.bound));
    });

    ui.get<{ Params: AppParams; Querystring: Fields }>('/ui/apps/:appId', async (request, reply) => {
      const { ns, prefix, state, cursor, deleted } = request.query;
      const caller = callerOf(request, { appId: request.params.appId, namespace: ns });
      const ref = { namespace: caller.namespace, appId: caller.appId };
      let filter: JobFilter | undefined;
      if (state) {
        if (!isJobFilter(state)) throw new DuetimeError('invalid', 'ERR_UI_STATE', `state "${state}" is not one of the filters; choose one from the list`);
        filter = state;
      }
      const result = await searchJobs(deps.jobs, ref.namespace, ref.appId, { ...(prefix ? { prefix } : {}), ...(filter ? { filter } : {}), ...(cursor ? { cursor } : {}) });
      const query = { ...(prefix ? { prefix } : {}), ...(filter ? { filter } : {}), ...(cursor ? { cursor } : {}) };
      return render(request, reply, 'apps', `Jobs of ${ref.appId}`, jobsPage(ref, query, result, defaultNamespace, now(), deleted ? `Deleted ${deleted}.` : undefined));
    });

    ui.get<{ Params: JobParams; Querystring: Fields }>('/ui/apps/:appId/jobs/:name', async (request, reply) => {
      const caller = callerOf(request, { appId: request.params.appId, namespace: request.query.ns });
      const ref = { namespace: caller.namespace, appId: caller.appId };
      const key = { ...ref, name: request.params.name };
      const job = await deps.jobs.get(key);
      if (request.query.confirm === 'delete') {
        const csrf = ensureSession(request, reply, deps.secure);
        return render(request, reply, 'apps', `Delete ${job.name}?`, confirmDeletePage(ref, job.name, csrf, defaultNamespace));
      }
      const history = await deps.jobs.history(key, HISTORY_SHOWN);
      const done = request.query.done;
      const notice = done && Object.hasOwn(DONE, done) ? DONE[done] : undefined;
      const csrf = ensureSession(request, reply, deps.secure);
      return render(request, reply, 'apps', job.name, jobPage({ app: ref, job, history, csrf, defaultNamespace, now: now(), ...(notice ? { notice } : {}) }));
    });

    ui.post<{ Params: JobParams & { action: string } }>('/ui/apps/:appId/jobs/:name/:action', async (request, reply) => {
      const fields = checkForm(request);
      const caller = callerOf(request, { appId: request.params.appId, namespace: fields.ns });
      const ref = { namespace: caller.namespace, appId: caller.appId };
      const key = { ...ref, name: request.params.name };
      const action = request.params.action;
      if (action === 'delete') {
        if (fields.confirm !== 'yes') return redirect(reply, jobUrl(ref, key.name, defaultNamespace, { confirm: 'delete' }));
        await deps.jobs.delete(key);
        return redirect(reply, appUrl(ref, defaultNamespace, { deleted: key.name }));
      }
      if (!Object.hasOwn(ACTIONS, action)) throw new DuetimeError('not-found', 'ERR_NOT_FOUND', `there is no action "${action}"; use pause, resume, trigger or delete`);
      const act = action as keyof typeof ACTIONS;
      await deps.jobs[act](key);
      return redirect(reply, jobUrl(ref, key.name, defaultNamespace, { done: ACTIONS[act] }));
    });

    ui.get('/ui/live', async (request, reply) => {
      callerOf(request);
      return render(request, reply, 'live', 'Live', livePage(await readLiveStats(deps.metrics, now())), 200, ['live.js']);
    });
    ui.get('/ui/live/stats', async (request, reply) => {
      callerOf(request);
      return reply.type('application/json').send(await readLiveStats(deps.metrics, now()));
    });

    ui.get('/ui/cluster', async (request, reply) => {
      callerOf(request);
      return render(request, reply, 'cluster', 'Cluster', clusterPage(deps.cluster(), now()));
    });

    ui.get<{ Querystring: Fields }>('/ui/login', async (request, reply) => {
      if (!tokensRequired) return redirect(reply, '/ui');
      const csrf = ensureSession(request, reply, deps.secure);
      const problem = request.query.problem === 'invalid' ? 'That token is not valid here; sign in again.' : undefined;
      return render(request, reply, 'login', 'Sign in', loginPage(csrf, safeNext(request.query.next), problem));
    });
    ui.post('/ui/login', async (request, reply) => {
      const fields = checkForm(request);
      const next = safeNext(fields.next);
      try {
        resolveCaller({ token: fields.token }, deps.identity);
      } catch (error) {
        if (!(error instanceof DuetimeError) || error.kind !== 'unauthenticated') throw error;
        const csrf = ensureSession(request, reply, deps.secure);
        return render(request, reply, 'login', 'Sign in', loginPage(csrf, next, 'That token is not valid here.'), 401);
      }
      if (fields.token) setTokenCookie(reply, fields.token, deps.secure);
      return redirect(reply, next);
    });
    ui.post('/ui/logout', async (request, reply) => {
      checkForm(request);
      clearTokenCookie(reply, deps.secure);
      return redirect(reply, tokensRequired ? '/ui/login' : '/ui');
    });
  });
}

function redirect(reply: FastifyReply, to: string): FastifyReply {
  return reply.status(303).header('location', to).send();
}

/** Only a dashboard address: never another site (//host, /\host) after signing in. */
function safeNext(next: string | undefined): string {
  return next && /^\/ui(?:[/?]|$)/.test(next) && !/[\\\s]/.test(next) && !next.startsWith('//') ? next : '/ui';
}
