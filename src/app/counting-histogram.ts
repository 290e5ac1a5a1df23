// A Prometheus histogram for the per-delivery hot path, registered in a prom-client Registry
// beside its own metrics and read the same way (text exposition, get(), the dashboard's
// live-stats). prom-client's Histogram.observe builds a closure and a labels object, validates
// the labels and hashes them on every call, labelled children included: its two observations
// per delivery (trigger lateness, store commit latency) were ~6% of the main thread in a
// 20,000-trigger burst. Here a series (one label set) is looked up once by its caller and kept;
// observe() is a bucket search and three additions, and observes `times` equal values at once
// (a batch of commits that all waited as long).

import type { Metric, Registry } from 'prom-client';

export class HistogramSeries {
  /** Observations per bucket, not cumulative; the last is above every bound (+Inf). */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number, times = 1): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram value is not a finite number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += times;
    this.sum += value * times;
    this.count += times;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Cumulative count at or under each bound, as Prometheus exposes them, then +Inf. */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (const c of this.counts) out.push((acc += c));
    return out;
  }
}

export interface CountingHistogramConfig<L extends string> {
  name: string;
  help: string;
  buckets: readonly number[];
  labelNames?: readonly L[];
  registers?: Registry[];
}

/** A metric value as prom-client's get() gives it: the registry renders these. */
interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class CountingHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly labelNames: readonly L[];
  private readonly series = new Map<string, HistogramSeries>();
  private unlabelled: HistogramSeries | undefined;

  constructor(config: CountingHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.labelNames = config.labelNames ?? [];
    // Without labels the zero series is shown before any observation, as prom-client does.
    if (this.labelNames.length === 0) this.unlabelled = this.labels({} as Record<L, string>);
    for (const registry of config.registers ?? []) this.register(registry);
  }

  register(registry: Registry): void {
    // prom-client's Registry takes any object with its metric methods (name, get, reset); the
    // cast is only to its class type.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set, to keep: finding it joins the label values. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    const values = this.labelNames.map((name) => {
      const value = labels[name];
      if (typeof value !== 'string') throw new Error(`histogram ${this.name}: label "${name}" is missing`);
      return value;
    });
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (own[name] = values[i]!));
      this.series.set(key, (series = new HistogramSeries(own, this.bounds)));
    }
    return series;
  }

  /** Observes into the series without labels (a histogram that has none). */
  observe(value: number): void {
    (this.unlabelled ??= this.labels({} as Record<L, string>)).observe(value);
  }

  /** As prom-client's Histogram.get(): buckets (le first), +Inf, _sum and _count per series. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExposedValue[]; aggregator: 'sum' }> {
    const values: ExposedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      const cumulative = series.cumulative();
      this.bounds.forEach((bound, i) => values.push({ labels: { le: bound, ...series.labels }, value: cumulative[i]!, metricName: bucket }));
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** Back to no observations. Series are zeroed, not dropped: callers keep theirs. */
  reset(): void {
    for (const series of this.series.values()) series.zero();
  }
}
