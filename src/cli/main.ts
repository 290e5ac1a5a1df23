// The `duetime` command. `serve` runs the scheduler; the other commands speak its HTTP API.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAppsCommand } from './apps-command.js';
import { registerClusterCommand } from './cluster-command.js';
import { describeCliError } from './connection.js';
import { registerJobsCommand } from './jobs-command.js';
import { registerServeCommand } from './serve-command.js';

const program = new Command();
program
  .name('duetime')
  .description('A durable job scheduler that speaks Dapr\'s Jobs API')
  .version(packageVersion())
  // Subcommands list the options of their group (--url, --api-token, --json...) in their help.
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError();
registerServeCommand(program);
registerJobsCommand(program);
registerAppsCommand(program);
registerClusterCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(describeCliError(error));
  process.exit(1);
});

/** The root package's version: package.json is two levels up from src/cli/ and from dist/cli/ alike. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
