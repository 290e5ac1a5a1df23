// An actor reminder: this app hosts actors of type "Cart" (it answers Dapr's actor callbacks),
// registers itself with Duetime, creates a reminder that fires three times, one second apart,
// and exits once the three calls arrived.
//   DUETIME_URL=http://127.0.0.1:3500 APP_PORT=8081 node examples/reminder/actor-host.mjs

import { createServer } from 'node:http';

const duetimeUrl = process.env.DUETIME_URL ?? 'http://127.0.0.1:3500';
const port = Number(process.env.APP_PORT ?? 8081);
const appId = 'cart-service';
let calls = 0;

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    // Dapr's actor host contract: the actor types it hosts, then one call per reminder tick.
    if (req.method === 'GET' && req.url === '/dapr/config') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ entities: ['Cart'] }));
      return;
    }
    const match = /^\/actors\/Cart\/([^/]+)\/method\/remind\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'PUT' && match) {
      console.log(`reminder ${match[2]} of Cart ${match[1]}: ${body}`);
      res.writeHead(200).end();
      if (++calls === 3) setTimeout(() => (console.log('done: three reminder calls arrived'), process.exit(0)), 200);
      return;
    }
    res.writeHead(404).end();
  });
});
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));

const call = async (method, path, body) => {
  const response = await fetch(`${duetimeUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
};
await call('PUT', `/v1.0/apps/${appId}`, { url: `http://127.0.0.1:${port}`, actorTypes: ['Cart'] });
// Dapr's reminder API: first call after 1 s, then every second, three calls in all (ISO 8601 R3).
await call('POST', '/v1.0/actors/Cart/cart-42/reminders/checkout-nudge', { dueTime: '1s', period: 'R3/PT1S', data: { items: 2 } });
console.log('hosting Cart actors; reminder checkout-nudge created for cart-42');
