// The OpenAPI 3.1 description served at GET /openapi.json. A test checks that every route the
// server registers is described here.

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', maxLength: 512 }, description: 'job name: no / \\ # ? or control characters' };
const appHeader = { name: 'dapr-app-id', in: 'header', required: false, schema: { type: 'string' }, description: 'the calling app (ignored when a bound API token is used)' };
const jobView = { description: 'the job', content: { 'application/json': { schema: { $ref: '#/components/schemas/JobView' } } } };

const jobPaths = (base: string) => ({
  [`${base}/jobs/{name}`]: {
    post: {
      summary: 'Schedule a job',
      parameters: [nameParam, appHeader],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/JobRequest' } } } },
      responses: {
        204: { description: 'stored durably' },
        400: errorResponse('invalid'),
        409: errorResponse('name taken, overwrite false'),
        413: errorResponse('body too large'),
        429: { ...errorResponse('the app is over --schedule-rate-per-app or --max-jobs-per-app; nothing stored'), headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait' } } },
      },
    },
    get: { summary: 'Get a job', parameters: [nameParam, appHeader], responses: { 200: jobView, 404: errorResponse('no such job') } },
    delete: { summary: 'Delete a job (204 also when absent)', parameters: [nameParam, appHeader], responses: { 204: { description: 'deleted' } } },
  },
  [`${base}/jobs`]: {
    get: {
      summary: "List the app's jobs, one page in name order",
      parameters: [
        appHeader,
        { name: 'prefix', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
      ],
      responses: {
        200: {
          description: 'a page',
          content: { 'application/json': { schema: { type: 'object', properties: { jobs: { type: 'array', items: { $ref: '#/components/schemas/JobView' } }, nextCursor: { type: 'string' } } } } },
        },
        400: errorResponse('bad limit or prefix'),
      },
    },
    delete: {
      summary: "Delete the app's jobs whose name starts with prefix (all of the app's when empty)",
      parameters: [appHeader, { name: 'prefix', in: 'query', required: true, allowEmptyValue: true, schema: { type: 'string' }, description: 'required: send prefix= (empty) to delete every job of the app' }],
      responses: {
        200: { description: 'count', content: { 'application/json': { schema: { type: 'object', properties: { deleted: { type: 'integer' } } } } } },
        400: errorResponse('no prefix parameter, or a repeated one'),
      },
    },
  },
  [`${base}/jobs/{name}/pause`]: { post: { summary: 'Pause a job', parameters: [nameParam, appHeader], responses: { 200: jobView, 404: errorResponse('no such job') } } },
  [`${base}/jobs/{name}/resume`]: { post: { summary: 'Resume a job (catch-up applies)', parameters: [nameParam, appHeader], responses: { 200: jobView, 404: errorResponse('no such job') } } },
  [`${base}/jobs/{name}/trigger`]: { post: { summary: 'Deliver an extra trigger now', parameters: [nameParam, appHeader], responses: { 200: jobView, 404: errorResponse('no such job') } } },
  [`${base}/jobs/{name}/history`]: {
    get: {
      summary: 'The latest attempts with outcome, newest first',
      parameters: [nameParam, appHeader, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } }],
      responses: { 200: { description: 'history' }, 404: errorResponse('no such job') },
    },
  },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Duetime', version: '0.1.0', description: "Dapr's Jobs API and Duetime's extensions" },
  paths: {
    ...jobPaths('/v1.0'),
    ...jobPaths('/v1.0-alpha1'),
    '/v1.0/apps/{appId}': {
      put: {
        summary: "Register (or move) an app's HTTP endpoint on every replica (stored; answered once durable); releases its staged triggers",
        parameters: [{ name: 'appId', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url'],
                properties: {
                  url: { type: 'string', maxLength: 2048 },
                  actorTypes: { type: 'array', maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 512 } },
                  token: { type: 'string', maxLength: 4096, description: 'sent to the app as dapr-api-token with each delivery; never an API token of the server' },
                },
              },
            },
          },
        },
        responses: { 204: { description: 'registered' }, 400: errorResponse('bad url, over a limit, or a token that is an API token'), 403: errorResponse('token bound to another app'), 503: errorResponse('the store could not take the registration') },
      },
      delete: {
        summary: 'Unregister an app on every replica',
        parameters: [{ name: 'appId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 204: { description: 'gone' }, 503: errorResponse('the store could not take the change') },
      },
    },
    '/v1.0/apps': { get: { summary: "The namespace's registered apps", responses: { 200: { description: 'apps' } } } },
    '/v1.0/cluster': {
      get: {
        summary: 'Replicas and the partitions each owns (mode "single" on the embedded store); also `duetime cluster status`',
        responses: { 200: { description: 'cluster status' } },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'alive' } } } },
    '/readyz': { get: { summary: 'Readiness with per-dependency checks', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
  } as Record<string, Record<string, unknown>>,
  components: {
    schemas: {
      Error: { type: 'object', required: ['errorCode', 'message'], properties: { errorCode: { type: 'string' }, message: { type: 'string' }, details: { type: 'array' } } },
      JobRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          schedule: { type: 'string', description: '6-field cron (seconds first), @descriptor, @every <duration>, optional CRON_TZ=/TZ= prefix' },
          dueTime: { type: 'string', description: 'RFC3339 instant, Go duration or ISO 8601 duration' },
          repeats: { type: 'integer', minimum: 1 },
          ttl: { type: 'string' },
          data: { description: 'any JSON value, handed to the target unchanged' },
          overwrite: { type: 'boolean', default: false },
          failurePolicy: { type: 'object', description: '{"drop":{}} | {"constant":{"interval","maxRetries"}} | {"exponential":{...}}' },
          target: { type: 'object' },
          catchUp: { enum: ['all', 'one', 'none'], default: 'all' },
        },
      },
      JobView: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          schedule: { type: 'string' },
          dueTime: { type: 'string' },
          repeats: { type: 'integer' },
          ttl: { type: 'string' },
          data: {},
          failurePolicy: { type: 'object' },
          status: {
            type: 'object',
            properties: {
              count: { type: 'integer' },
              attempts: { type: 'integer' },
              lastTrigger: { type: 'string', format: 'date-time' },
              nextTrigger: { type: 'string', format: 'date-time' },
              state: { enum: ['active', 'paused', 'staged', 'completed', 'failed'] },
              manualTriggerPending: { type: 'boolean' },
              finishedTime: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  },
};

/** Lets other route modules (reminders, publish, cluster) describe their paths. */
export function describePaths(paths: Record<string, Record<string, unknown>>): void {
  Object.assign(openApiDocument.paths, paths);
}
