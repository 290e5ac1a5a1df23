// Extra command-line arguments for a process the bench starts, from an environment variable
// (space-separated, say "--max-semi-space-size=32"): the A/B knobs BENCH_*_NODE_ARGS.

/** The words of `process.env[name]`, or none when it is unset or blank. */
export function envArgs(name: string): string[] {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}
