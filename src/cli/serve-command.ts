import { Command, InvalidArgumentError, Option } from 'commander';
import { CONFIG_FIELDS, envName, type DuetimeConfig } from '../config/config.js';
import { startDuetime } from '../main.js';

export function registerServeCommand(program: Command): void {
  const serve = program.command('serve').description('run a Duetime node (embedded SQLite store by default)');
  for (const field of CONFIG_FIELDS) {
    const option = new Option(`--${field.flag} <value>`, field.description).env(envName(field));
    if (field.default !== undefined) option.default(field.default);
    if (field.kind === 'int') option.argParser(parseInteger);
    serve.addOption(option);
  }
  serve.action(async (values: Partial<DuetimeConfig> & { config?: string }) => {
    const { config: configFile, ...rest } = values;
    const running = await startDuetime({ ...rest, ...(configFile ? { configFile } : {}) });
    const shutdown = (signal: string): void => {
      running.logger.info({ signal }, 'stopping');
      running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          running.logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

function parseInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return value;
}
