// Dapr's actor reminder routes (SPEC 6) and the extension that lists an actor's reminders. The
// caller is identified as on the jobs routes; its reminders are its own.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ReminderRef } from '../../../app/reminders/reminder-keys.js';
import type { RemindersService } from '../../../app/reminders/reminders-service.js';
import { identify, type IdentityOptions } from '../identity.js';
import { describePaths } from '../openapi.js';

const ACTOR = '/v1.0/actors/:actorType/:actorId/reminders';

interface ActorParams {
  actorType: string;
  actorId: string;
}
interface ReminderParams extends ActorParams {
  name: string;
}

export function registerActorRoutes(app: FastifyInstance, reminders: RemindersService, identity: IdentityOptions): void {
  const refOf = (request: FastifyRequest<{ Params: ReminderParams }>): ReminderRef => ({
    actorType: request.params.actorType,
    actorId: request.params.actorId,
    name: request.params.name,
  });

  app.route<{ Params: ReminderParams }>({
    method: ['POST', 'PUT'],
    url: `${ACTOR}/:name`,
    handler: async (request, reply) => {
      await reminders.create(identify(request, identity), refOf(request), request.body);
      return reply.status(204).send();
    },
  });
  app.get<{ Params: ReminderParams }>(`${ACTOR}/:name`, async (request) => reminders.get(identify(request, identity), refOf(request)));
  app.delete<{ Params: ReminderParams }>(`${ACTOR}/:name`, async (request, reply) => {
    await reminders.delete(identify(request, identity), refOf(request));
    return reply.status(204).send();
  });
  app.get<{ Params: ActorParams }>(ACTOR, async (request) => ({
    reminders: await reminders.list(identify(request, identity), request.params.actorType, request.params.actorId),
  }));

  describePaths(openApiPaths);
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const actorParams = [
  { name: 'actorType', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'actorId', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'dapr-app-id', in: 'header', required: false, schema: { type: 'string' }, description: 'the calling app, owner of the reminder' },
];
const reminderParams = [...actorParams, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }];
const reminderView = {
  type: 'object',
  properties: {
    actorType: { type: 'string' },
    actorID: { type: 'string' },
    name: { type: 'string' },
    dueTime: { type: 'string' },
    period: { type: 'string' },
    ttl: { type: 'string' },
    data: {},
    expirationTime: { type: 'string', format: 'date-time' },
    status: { type: 'object', description: 'as a job: count, attempts, lastTrigger, nextTrigger, state' },
  },
};
const create = {
  summary: 'Create or replace an actor reminder (overwrite defaults to true)',
  parameters: reminderParams,
  requestBody: {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            dueTime: { type: 'string', description: 'RFC3339 instant, Go duration or ISO 8601 duration' },
            period: { type: 'string', description: 'Go duration, ISO 8601 duration (calendar periods P1D, P1M work), R5/PT10S, @every, descriptor or 6-field cron' },
            ttl: { type: 'string' },
            data: {},
            overwrite: { type: 'boolean', default: true },
            failurePolicy: { type: 'object' },
          },
        },
      },
    },
  },
  responses: { 204: { description: 'stored durably' }, 400: errorResponse('invalid'), 409: errorResponse('exists and overwrite is false') },
};
const openApiPaths = {
  '/v1.0/actors/{actorType}/{actorId}/reminders/{name}': {
    post: create,
    put: create,
    get: {
      summary: 'Get an actor reminder',
      parameters: reminderParams,
      responses: { 200: { description: 'the reminder', content: { 'application/json': { schema: reminderView } } }, 404: errorResponse('no such reminder') },
    },
    delete: { summary: 'Delete an actor reminder (204 also when absent)', parameters: reminderParams, responses: { 204: { description: 'deleted' } } },
  },
  '/v1.0/actors/{actorType}/{actorId}/reminders': {
    get: {
      summary: "The calling app's reminders on one actor",
      parameters: actorParams,
      responses: {
        200: { description: 'reminders', content: { 'application/json': { schema: { type: 'object', properties: { reminders: { type: 'array', items: reminderView } } } } } },
      },
    },
  },
};
