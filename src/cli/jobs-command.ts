// `duetime jobs ...`: the HTTP API from a terminal. Tables for people, --json for scripts,
// progress bars (on a terminal) for long exports and imports.

import { createWriteStream, readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { DuetimeApiError, type DuetimeClient, type Job, type JobSpec } from '@duetime/sdk/http';
import { addConnectionOptions, connectionOf, sdkClient, table, type Connection } from './connection.js';
import { parseExportLines, toExportLine } from './job-transfer.js';

const IMPORT_CONCURRENCY = 16;

export function registerJobsCommand(program: Command): void {
  const jobs = addConnectionOptions(program.command('jobs').description("manage an app's jobs over the HTTP API"));

  const client = (): { api: DuetimeClient; opts: Connection } => {
    const opts = connectionOf(jobs);
    return { api: sdkClient(opts), opts };
  };

  jobs
    .command('list')
    .description('list jobs in name order')
    .option('--prefix <prefix>', 'only names starting with this')
    .action(async (o: { prefix?: string }) => {
      const { api, opts } = client();
      const all: Job[] = [];
      for await (const job of api.listAll(o.prefix ? { prefix: o.prefix } : {})) all.push(job);
      if (opts.json) return print(all);
      const rows = table(['name', 'schedule', 'next trigger', 'count', 'state']);
      for (const j of all) rows.push([j.name, j.schedule ?? `once at ${j.dueTime ?? ''}`, j.status.nextTrigger ?? '', String(j.status.count), j.status.state]);
      console.log(all.length ? `${rows.toString()}\n${stateSummary(all)}` : 'no jobs');
    });

  jobs
    .command('get <name>')
    .description('show one job with its status')
    .action(async (name: string) => {
      const { api, opts } = client();
      const job = await api.get(name);
      if (opts.json) return print(job);
      const rows = table();
      for (const [k, v] of Object.entries({ ...job, status: undefined, ...job.status })) {
        if (v !== undefined) rows.push({ [k]: typeof v === 'string' ? v : JSON.stringify(v) });
      }
      console.log(rows.toString());
    });

  jobs
    .command('schedule <name>')
    .description('create (or with --overwrite replace) a job')
    .option('--schedule <expr>', '6-field cron, @every <duration>, @daily, ...')
    .option('--due-time <time>', 'RFC3339 instant, Go duration or ISO 8601 duration')
    .option('--repeats <n>', 'stop after n ticks', wholeNumber)
    .option('--ttl <time>', 'expiry')
    .option('--data <json>', 'payload, as JSON', json)
    .option('--file <path>', 'read the job body (JSON) from a file; flags override its fields')
    .option('--overwrite', 'replace an existing job of the same name')
    .action(async (name: string, o: { schedule?: string; dueTime?: string; repeats?: number; ttl?: string; data?: unknown; file?: string; overwrite?: boolean }) => {
      const { api } = client();
      const base = o.file ? (json(readFileSync(o.file, 'utf8')) as JobSpec) : {};
      const spec: JobSpec = {
        ...base,
        ...(o.schedule !== undefined ? { schedule: o.schedule } : {}),
        ...(o.dueTime !== undefined ? { dueTime: o.dueTime } : {}),
        ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
        ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
        ...(o.data !== undefined ? { data: o.data } : {}),
        ...(o.overwrite ? { overwrite: true } : {}),
      };
      await api.schedule(name, spec);
      console.log(`scheduled ${name}`);
    });

  jobs
    .command('delete [name]')
    .description('delete a job, or every job matching --prefix')
    .option('--prefix <prefix>', 'delete all jobs whose name starts with this ("" = all of the app\'s)')
    .action(async (name: string | undefined, o: { prefix?: string }) => {
      const { api } = client();
      if (o.prefix !== undefined) {
        console.log(`deleted ${await api.deleteByPrefix(o.prefix)} jobs`);
        return;
      }
      if (!name) throw new InvalidArgumentError('give a job name or --prefix');
      // DELETE answers 204 whether or not the job was there (as Dapr's does): ask first, so the
      // words are true. A job made between the two calls is left alone, as if asked a moment earlier.
      if (!(await exists(api, name))) {
        console.log(`no job named ${name} (nothing deleted)`);
        return;
      }
      await api.delete(name);
      console.log(`deleted ${name}`);
    });

  for (const verb of ['pause', 'resume', 'trigger'] as const) {
    jobs
      .command(`${verb} <name>`)
      .description(verb === 'trigger' ? 'deliver an extra trigger now' : `${verb} a job`)
      .action(async (name: string) => {
        const { api, opts } = client();
        const job = await api[verb](name);
        if (opts.json) return print(job);
        console.log(`${name}: ${job.status.state}${verb === 'trigger' ? ', manual trigger pending' : ''}`);
      });
  }

  jobs
    .command('export')
    .description('write the jobs as JSON Lines (to --out or stdout), ready for import')
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--out <path>', 'file to write (default stdout)')
    .action(async (o: { prefix?: string; out?: string }) => {
      const { api } = client();
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const bar = progressBar('exported', 0);
      let count = 0;
      for await (const job of api.listAll(o.prefix ? { prefix: o.prefix } : {})) {
        const line = toExportLine(job);
        if (!line) continue;
        out.write(`${JSON.stringify(line)}\n`);
        count++;
        bar?.setTotal(count);
        bar?.update(count);
      }
      bar?.stop();
      if (o.out) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? reject(e) : resolve())));
      console.error(`exported ${count} jobs`);
    });

  jobs
    .command('import <file>')
    .description('schedule every job of a JSON Lines export')
    .option('--overwrite', 'replace jobs that already exist (default: skip them and report)')
    .action(async (file: string, o: { overwrite?: boolean }) => {
      const { api } = client();
      const entries = parseExportLines(readFileSync(file, 'utf8'));
      const bar = progressBar('imported', entries.length);
      const failures: string[] = [];
      let taken = 0;
      let done = 0;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < entries.length) {
          const { name, ...spec } = entries[next++]!;
          try {
            await scheduleWithinQuota(() => api.schedule(name, { ...spec, ...(o.overwrite ? { overwrite: true } : {}) }));
          } catch (error) {
            if (error instanceof DuetimeApiError && error.status === 409) taken++;
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
          bar?.update(++done);
        }
      };
      await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, worker));
      bar?.stop();
      console.error(`imported ${entries.length - failures.length} of ${entries.length} jobs`);
      for (const f of failures) console.error(`  failed ${f}`);
      if (taken && !o.overwrite) {
        console.error(`${taken === 1 ? '1 job already exists' : `${taken} jobs already exist`}; run the import again with --overwrite to replace ${taken === 1 ? 'it' : 'them'}`);
      }
      if (failures.length) process.exitCode = 1;
    });
}

async function exists(api: DuetimeClient, name: string): Promise<boolean> {
  try {
    await api.get(name);
    return true;
  } catch (error) {
    if (error instanceof DuetimeApiError && error.status === 404 && !/^HTTP_/.test(error.errorCode)) return false;
    throw error;
  }
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A progress bar on stderr, only when stderr is a terminal (scripts get clean output). */
function progressBar(what: string, total: number): SingleBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({ format: `${what} {bar} {value}/{total}`, stream: process.stderr }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return Number(text);
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`not valid JSON: ${text.slice(0, 60)}`);
  }
}

/** "3 jobs: 2 active, 1 staged": a staged count answers "why has my app not been called?" at a glance. */
function stateSummary(all: Job[]): string {
  const counts = new Map<string, number>();
  for (const j of all) counts.set(j.status.state, (counts.get(j.status.state) ?? 0) + 1);
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([state, n]) => `${n} ${state}`);
  return `${all.length} ${all.length === 1 ? 'job' : 'jobs'}: ${parts.join(', ')}`;
}

/**
 * An import sends one app's jobs as fast as it can: past --schedule-burst-per-app the server
 * answers 429 (its --schedule-rate-per-app). Wait a second and send again, a bounded number of
 * times, rather than report the rest as failed.
 */
async function scheduleWithinQuota(send: () => Promise<void>): Promise<void> {
  const attempts = 120;
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      if (!(error instanceof DuetimeApiError) || error.status !== 429 || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
