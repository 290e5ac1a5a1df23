// Dapr's publish API, POST /v1.0/publish/{pubsub}/{topic}, with Duetime's delayed publish
// (query metadata.scheduledSendTime or metadata.delay; docs/components.md). The body is the
// data (JSON); every other metadata.* query parameter is publish metadata. The topic is the
// rest of the path, so MQTT-style topics with "/" work unencoded.

import type { FastifyInstance } from 'fastify';
import type { PublishService } from '../../../app/targets/publish-service.js';
import { parseTraceContext } from '../../../core/model/trace-context.js';
import { identify, type IdentityOptions } from '../identity.js';
import { describePaths } from '../openapi.js';

const METADATA_PREFIX = 'metadata.';

interface PublishParams {
  pubsub: string;
  '*': string;
}

export function registerPublishRoutes(app: FastifyInstance, publish: PublishService, identity: IdentityOptions): void {
  app.post<{ Params: PublishParams; Querystring: Record<string, string | string[]> }>('/v1.0/publish/:pubsub/*', async (request, reply) => {
    const caller = identify(request, identity);
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (!key.startsWith(METADATA_PREFIX) || key.length === METADATA_PREFIX.length) continue;
      const text = Array.isArray(value) ? value[value.length - 1] : value;
      if (text !== undefined) metadata[key.slice(METADATA_PREFIX.length)] = text;
    }
    const trace = parseTraceContext(request.headers.traceparent, request.headers.tracestate);
    const result = await publish.publish(caller, request.params.pubsub, request.params['*'], request.body, metadata, trace ? { trace } : {});
    if (result.jobName !== undefined) {
      void reply.header('duetime-job-name', result.jobName);
      void reply.header('duetime-scheduled-time', new Date(result.dueAt!).toISOString());
    }
    return reply.status(204).send();
  });

  describePaths(openApiPaths);
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

const openApiPaths = {
  '/v1.0/publish/{pubsub}/*': {
    post: {
      summary: 'Publish to a topic now, or later with metadata.scheduledSendTime / metadata.delay (a one-shot job named publish-{uuid})',
      description: 'The path after the pub/sub name is the topic (it may contain "/"). The body is the data, wrapped in a CloudEvent as Dapr does.',
      parameters: [
        { name: 'pubsub', in: 'path', required: true, schema: { type: 'string' }, description: 'a pub/sub component (metadata.name)' },
        { name: 'dapr-app-id', in: 'header', required: false, schema: { type: 'string' }, description: 'the publishing app (CloudEvent source; owner of a delayed publish job)' },
        { name: 'metadata.scheduledSendTime', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'publish at this RFC3339 time' },
        { name: 'metadata.delay', in: 'query', required: false, schema: { type: 'string' }, description: 'publish after this duration (Go "90s" or ISO 8601 "PT90S")' },
        { name: 'metadata.*', in: 'query', required: false, schema: { type: 'string' }, description: 'other publish metadata, passed to the component (rawPayload, routingKey, ...)' },
      ],
      requestBody: { required: false, content: { 'application/json': { schema: { description: 'the data, any JSON value' } } } },
      responses: {
        204: {
          description: 'published (now), or stored durably (delayed: headers duetime-job-name and duetime-scheduled-time name the job)',
        },
        400: errorResponse('unknown pub/sub component, empty topic, or bad scheduledSendTime / delay'),
        503: errorResponse('the broker did not accept the message (publishing now), or the jobStateStore is unavailable'),
      },
    },
  },
};
