import { Command, InvalidArgumentError, Option } from 'commander';
import { CONFIG_FIELDS, envName, type DuetimeConfig } from '../config/config.js';

export function registerServeCommand(program: Command): void {
  const serve = program.command('serve').description('run a Duetime node (embedded SQLite store by default)');
  for (const field of CONFIG_FIELDS) {
    const option = new Option(`--${field.flag} <value>`, field.description).env(envName(field));
    if (field.default !== undefined) option.default(field.default);
    if (field.kind === 'int') option.argParser(parseInteger);
    if (field.kind === 'boolean') option.argParser(parseBoolean);
    serve.addOption(option);
    // A switch also has its --no-<flag> form (--no-ui), as in `--ui false`.
    if (field.kind === 'boolean') serve.addOption(new Option(`--no-${field.flag}`, `same as --${field.flag} false`));
  }
  serve.action(async (values: Partial<DuetimeConfig> & { config?: string }) => {
    const { config: configFile, ...rest } = values;
    // OpenTelemetry's own variable, for deployments that set it for every service.
    const otelEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const otlp = rest.otlpEndpoint === undefined && otelEndpoint ? { otlpEndpoint: otelEndpoint } : {};
    // The server is loaded only here: every other command (jobs, apps, cluster) is an HTTP
    // client, and loading the server's whole module graph cost each of them about a second.
    const { startDuetime } = await import('../main.js');
    const running = await startDuetime({ ...rest, ...otlp, ...(configFile ? { configFile } : {}) });
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
    // SIGHUP reloads what can change without a restart (the --access-control file and the API
    // tokens), as daemons do; it no longer ends the process (Node's default), so a closed terminal
    // leaves it running. A reload logs its own outcome; one that throws must not end the server.
    process.on('SIGHUP', () => {
      try {
        running.reload();
      } catch (error) {
        running.logger.error({ err: error }, 'reload failed; the settings in force stay');
      }
    });
  });
}

function parseBoolean(text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new InvalidArgumentError(`"${text}" is not true or false`);
}

function parseInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return value;
}
