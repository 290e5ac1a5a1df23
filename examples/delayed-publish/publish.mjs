// A delayed publish: a job whose target is a pub/sub topic. At the due time Duetime publishes the
// job's data as a CloudEvent to the "orders" topic of the "events" component (Redis here); this
// script plays the subscriber too, reading the Redis stream, and exits once the event arrived.
//   duetime serve --components-path examples/delayed-publish/components
//   DUETIME_URL=http://127.0.0.1:3500 REDIS_URL=redis://127.0.0.1:6379 node examples/delayed-publish/publish.mjs

import { DuetimeClient } from '@duetime/sdk';
import { Redis } from 'ioredis';

const jobs = new DuetimeClient({ baseUrl: process.env.DUETIME_URL ?? 'http://127.0.0.1:3500', appId: 'shop' });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

// Start reading after the stream's current end, so only what is published from now on counts.
const last = (await redis.xrevrange('orders', '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
const scheduledAt = Date.now();
await jobs.schedule('remind-order-7', {
  dueTime: '3s',
  data: { order: 7, reminder: 'your basket is waiting' },
  target: { pubsub: { name: 'events', topic: 'orders' } },
  overwrite: true,
});
console.log('scheduled a publish to events/orders, 3 s from now');

const reply = await redis.xread('BLOCK', 15_000, 'STREAMS', 'orders', last);
const fields = reply?.[0]?.[1]?.[0]?.[1];
if (!fields) throw new Error('no event within 15 s');
const event = JSON.parse(fields[fields.indexOf('data') + 1]);
console.log(`received a ${event.type} event on ${event.topic} after ${((Date.now() - scheduledAt) / 1000).toFixed(1)} s: ${JSON.stringify(event.data)}`);
console.log('done: the event arrived');
redis.disconnect();
