/**
 * A tiny, dependency-free Prometheus registry: counters and histograms with
 * labels, rendered in the text exposition format 0.0.4. One process-wide
 * instance (`metrics`) is shared by the API, the transport and the activities.
 */

type Labels = Record<string, string | number>;

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i])}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/** Go's %g style for sample values: integers stay integers, +Inf spelled the Prometheus way. */
function formatNumber(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name "${name}"`);
  }

  protected key(labels: Labels): { key: string; values: string[] } {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`metric ${this.name}: label "${n}" is missing`);
      return String(v);
    });
    return { key: JSON.stringify(values), values };
  }

  abstract render(): string;
  abstract reset(): void;
}

export class Counter extends Metric {
  private readonly series = new Map<string, { values: string[]; value: number }>();

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const { key, values } = this.key(labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { values, value: by });
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels).key)?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} counter`];
    for (const { values, value } of this.series.values())
      lines.push(`${this.name}${labelText(this.labelNames, values)} ${formatNumber(value)}`);
    return lines.join('\n');
  }

  reset(): void {
    this.series.clear();
  }
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram extends Metric {
  private readonly series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const { key, values } = this.key(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    // Buckets are cumulative in the exposition; store them cumulative too.
    this.buckets.forEach((bound, i) => {
      if (value <= bound) entry.counts[i]++;
    });
    entry.sum += value;
    entry.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const { values, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(
          `${this.name}_bucket${labelText(this.labelNames, values, ['le', formatNumber(bound)])} ${counts[i]}`,
        );
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${count}`);
    }
    return lines.join('\n');
  }

  reset(): void {
    this.series.clear();
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  private add<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  /** The text exposition format 0.0.4, ending with a newline as scrapers expect. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }

  reset(): void {
    for (const m of this.metrics.values()) m.reset();
  }
}

/** The application's metrics, pre-registered so that every process exposes the same names. */
export class AppMetrics extends MetricsRegistry {
  readonly httpRequests = this.counter('http_requests_total', 'HTTP requests answered by the API', [
    'method',
    'route',
    'status',
  ]);
  readonly httpDuration = this.histogram('http_request_duration_seconds', 'Time to answer an API request', [
    'method',
    'route',
  ]);
  readonly syncs = this.counter('syncs_total', 'Account syncs by bank and outcome', ['aspsp', 'outcome']);
  readonly bankCalls = this.counter('bank_calls_total', 'Calls made to banks', ['aspsp', 'operation', 'status']);
  readonly bankErrors = this.counter('bank_errors_total', 'Errors from or on the way to banks', [
    'aspsp',
    'kind',
    'code',
  ]);
  readonly ourFaults = this.counter(
    'our_fault_failures_total',
    'Bank activities failed by our configuration or infrastructure (the connection keeps its status)',
    ['aspsp', 'kind'],
  );
}

export const metrics = new AppMetrics();

export function recordSync(aspsp: string, outcome: string): void {
  metrics.syncs.inc({ aspsp, outcome });
}

export function recordBankCall(aspsp: string, operation: string, status: number | string): void {
  metrics.bankCalls.inc({ aspsp, operation, status });
}

export function recordBankError(aspsp: string, kind: string, code: string | undefined): void {
  metrics.bankErrors.inc({ aspsp, kind, code: code ?? '' });
}

/** A failure of ours (configuration, our certificate or signature, a token we cannot decrypt). */
export function recordOurFault(aspsp: string, kind: string): void {
  metrics.ourFaults.inc({ aspsp, kind });
}
