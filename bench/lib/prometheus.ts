// Reads Prometheus text exposition (GET /metrics) into name{labels} -> value.

export type Metrics = Map<string, number>;

export async function fetchMetrics(baseUrl: string): Promise<Metrics> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

export function parseMetrics(text: string): Metrics {
  const metrics: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = line.match(/^(\S+?(?:\{[^}]*\})?)\s+(\S+)/);
    if (match) metrics.set(match[1]!, Number(match[2]));
  }
  return metrics;
}

/** The value of a series, e.g. metric(m, 'duetime_engine_jobs{phase="in_memory"}'); NaN if absent. */
export function metric(metrics: Metrics, series: string): number {
  return metrics.get(series) ?? Number.NaN;
}
