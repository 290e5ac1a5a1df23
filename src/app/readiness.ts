/**
 * Named readiness checks, reported by /readyz. A failing dependency shows here (and in logs and
 * metrics) instead of crashing the server.
 */
export type ReadinessCheck = () => { ok: boolean; detail?: string } | Promise<{ ok: boolean; detail?: string }>;

export class Readiness {
  private checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }> {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    let ready = true;
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch (error) {
        checks[name] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      if (!checks[name]!.ok) ready = false;
    }
    return { ready, checks };
  }
}
