// `duetime apps ...`: app registrations over the HTTP API (PUT, GET and DELETE /v1.0/apps), so an
// app's endpoint can be set, seen and removed without curl. Registrations are stored: they last
// across restarts and reach every replica.

import { Command, Option } from 'commander';
import { addConnectionOptions, callApi, connectionOf, expectShape, table } from './connection.js';

interface AppView {
  appId: string;
  url: string;
  actorTypes: string[];
}

export function registerAppsCommand(program: Command): void {
  const apps = addConnectionOptions(program.command('apps').description('register, list and remove the endpoints apps receive triggers on'), { appId: false });

  apps
    .command('set <appId>')
    .description('register (or move) where an app receives its triggers')
    .requiredOption('--app-url <url>', "the app's base URL; triggers go to POST {url}/job/{name}")
    .addOption(new Option('--actor-type <type>', 'an actor type the app hosts (repeat for more)').argParser(collect).default([]))
    .option('--token <token>', 'sent to the app as dapr-api-token on each trigger')
    .action(async (appId: string, o: { appUrl: string; actorType: string[]; token?: string }) => {
      const connection = connectionOf(apps);
      await callApi(connection, 'PUT', `/v1.0/apps/${encodeURIComponent(appId)}`, { url: o.appUrl, actorTypes: o.actorType, ...(o.token ? { token: o.token } : {}) });
      console.log(`registered ${appId} at ${o.appUrl}`);
    });

  apps
    .command('list')
    .description("list the namespace's registered apps")
    .action(async () => {
      const connection = connectionOf(apps);
      const body = await listApps(connection);
      if (connection.json) return console.log(JSON.stringify(body, null, 2));
      if (!body.apps.length) return console.log('no apps registered');
      const rows = table(['app id', 'url', 'actor types']);
      for (const app of body.apps) rows.push([app.appId, app.url, app.actorTypes.join(', ')]);
      console.log(rows.toString());
    });

  apps
    .command('remove <appId>')
    .description("remove an app's registration (its triggers wait, staged, until it registers again)")
    .action(async (appId: string) => {
      const connection = connectionOf(apps);
      // DELETE answers 204 either way: look first, so the words are true.
      if (!(await listApps(connection)).apps.some((a) => a.appId === appId)) {
        console.log(`no app registered as ${appId} (nothing removed)`);
        return;
      }
      await callApi(connection, 'DELETE', `/v1.0/apps/${encodeURIComponent(appId)}`);
      console.log(`removed ${appId}`);
    });
}

async function listApps(connection: Parameters<typeof callApi>[0]): Promise<{ apps: AppView[] }> {
  return expectShape<{ apps: AppView[] }>(await callApi(connection, 'GET', '/v1.0/apps'), (v) => Array.isArray(v.apps));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
