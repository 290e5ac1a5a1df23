// The `duetime` command. `serve` runs the scheduler; the other commands speak its HTTP API.

import { Command } from 'commander';
import { registerClusterCommand } from './cluster-command.js';
import { registerJobsCommand } from './jobs-command.js';
import { registerServeCommand } from './serve-command.js';

const program = new Command();
program.name('duetime').description('A durable job scheduler that speaks Dapr\'s Jobs API').showHelpAfterError();
registerServeCommand(program);
registerJobsCommand(program);
registerClusterCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
