/**
 * The application's Prometheus metrics on prom-client: counters and histograms with labels,
 * rendered in the text exposition format 0.0.4. One process-wide instance (`metrics`) is shared by
 * the API, the bank transports and the activities, and carries Node's process metrics
 * (collectDefaultMetrics); the API serves it at /metrics, the worker on WORKER_METRICS_PORT
 * (metrics/worker-server.ts). Each MetricsRegistry has its own prom-client Registry (never the
 * global one), so tests can build as many as they like.
 */
import * as prom from 'prom-client';

type Labels = Record<string, string | number>;

export const PROMETHEUS_CONTENT_TYPE: string = prom.Registry.PROMETHEUS_CONTENT_TYPE;

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every label named at registration must be given (prom-client would accept a partial set). */
function labelValues(metric: string, labelNames: readonly string[], labels: Labels): Record<string, string | number> {
  for (const n of labelNames) {
    if (labels[n] === undefined) throw new Error(`metric ${metric}: label "${n}" is missing`);
  }
  return labels;
}

export class Counter {
  constructor(
    private readonly metric: prom.Counter,
    readonly name: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.metric.inc(labelValues(this.name, this.labelNames, labels), by);
  }

  /** The series' current value (0 when never incremented). */
  async get(labels: Labels = {}): Promise<number> {
    const wanted = labelValues(this.name, this.labelNames, labels);
    const { values } = await this.metric.get();
    const match = values.find((v) => this.labelNames.every((n) => String(v.labels[n]) === String(wanted[n])));
    return match?.value ?? 0;
  }
}

export class Histogram {
  constructor(
    private readonly metric: prom.Histogram,
    readonly name: string,
    readonly labelNames: readonly string[],
  ) {}

  observe(labels: Labels, value: number): void {
    this.metric.observe(labelValues(this.name, this.labelNames, labels), value);
  }
}

export class MetricsRegistry {
  /** The prom-client registry behind this one (e.g. to merge with another). */
  readonly registry = new prom.Registry();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    this.refuseDuplicate(name);
    const metric = new prom.Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
    return new Counter(metric, name, labelNames);
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    this.refuseDuplicate(name);
    const metric = new prom.Histogram({
      name,
      help,
      labelNames: [...labelNames],
      buckets: [...(buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b),
      registers: [this.registry],
    });
    return new Histogram(metric, name, labelNames);
  }

  /** Node's process metrics (CPU, memory, event loop lag, GC, handles), under their standard names. */
  collectProcessMetrics(): void {
    prom.collectDefaultMetrics({ register: this.registry });
  }

  /** The text exposition format 0.0.4, ending with a newline as scrapers expect. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  reset(): void {
    this.registry.resetMetrics();
  }

  private refuseDuplicate(name: string): void {
    if (this.registry.getSingleMetric(name)) throw new Error(`metric ${name} is registered twice`);
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

  constructor(options: { processMetrics?: boolean } = {}) {
    super();
    if (options.processMetrics) this.collectProcessMetrics();
  }
}

/** The process-wide metrics, with Node's process metrics. */
export const metrics = new AppMetrics({ processMetrics: true });

export function recordSync(aspsp: string, outcome: string): void {
  metrics.syncs.inc({ aspsp, outcome });
}

export function recordBankCall(aspsp: string, operation: string, status: number | string): void {
  metrics.bankCalls.inc({ aspsp, operation, status });
}

export function recordBankError(aspsp: string, kind: string, code: string | undefined): void {
  metrics.bankErrors.inc({ aspsp, kind, code: code ?? '' });
}
