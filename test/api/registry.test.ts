import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, transactionCursorSchema } from '../../api/routes/accounts/cursor';
import { createdCursorSchema, decodeCreatedCursor, encodeCreatedCursor } from '../../api/pagination/created-cursor';
import { idempotentId, requestHash } from '../../api/idempotency';
import {
  AppMetrics,
  MetricsRegistry,
  metrics,
  recordBankCall,
  recordBankError,
  recordSync,
} from '../../metrics/registry';

describe('metrics registry', () => {
  it('renders counters with escaped labels in the 0.0.4 text format', async () => {
    const registry = new MetricsRegistry();
    const c = registry.counter('jobs_total', 'Jobs\nrun', ['queue']);
    c.inc({ queue: 'a"b\\c\nd' });
    c.inc({ queue: 'a"b\\c\nd' }, 2);
    expect(await registry.render()).toBe(
      '# HELP jobs_total Jobs\\nrun\n# TYPE jobs_total counter\njobs_total{queue="a\\"b\\\\c\\nd"} 3\n',
    );
    expect(() => c.inc({ queue: 'x' }, -1)).toThrow();
    expect(() => c.inc({})).toThrow(/label "queue"/);
  });

  it('renders histograms with cumulative buckets, sum and count', async () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram('latency_seconds', 'Latency', ['route'], [0.1, 1]);
    h.observe({ route: '/x' }, 0.05);
    h.observe({ route: '/x' }, 0.5);
    h.observe({ route: '/x' }, 3);
    expect((await registry.render()).split('\n')).toEqual([
      '# HELP latency_seconds Latency',
      '# TYPE latency_seconds histogram',
      // prom-client puts le first; label order carries no meaning in the format.
      'latency_seconds_bucket{le="0.1",route="/x"} 1',
      'latency_seconds_bucket{le="1",route="/x"} 2',
      'latency_seconds_bucket{le="+Inf",route="/x"} 3',
      'latency_seconds_sum{route="/x"} 3.55',
      'latency_seconds_count{route="/x"} 3',
      '',
    ]);
  });

  it('refuses duplicate names', () => {
    expect(() => new AppMetrics().counter('syncs_total', 'again')).toThrow(/twice/);
  });

  it('the process-wide recorders feed the singleton, which carries the process metrics', async () => {
    recordSync('bec', 'ok');
    recordBankCall('bec', 'getAccounts', 200);
    recordBankError('enfuce-rocker', 'bank', undefined);
    expect(await metrics.syncs.get({ aspsp: 'bec', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(await metrics.syncs.get({ aspsp: 'bec', outcome: 'never' })).toBe(0);
    const text = await metrics.render();
    expect(text).toContain('bank_calls_total{aspsp="bec",operation="getAccounts",status="200"}');
    expect(text).toContain('bank_errors_total{aspsp="enfuce-rocker",kind="bank",code=""} 1');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('cursor and idempotency helpers', () => {
  it('round-trips a cursor: a position the query schema admits, and nothing else', () => {
    const c = encodeCursor({ date: '2025-01-02', id: 'txn_1' });
    expect(c).toMatch(/^[A-Za-z0-9_~.:+-]+$/);
    expect(transactionCursorSchema.safeParse(c).success).toBe(true);
    expect(decodeCursor(c)).toEqual({ date: '2025-01-02', id: 'txn_1' });
    expect(transactionCursorSchema.safeParse('bm9wZQ').success).toBe(false);
    const p = encodeCreatedCursor({ createdAt: 1_760_000_000_123, id: 'pay_0a-B' });
    expect(createdCursorSchema.safeParse(p).success).toBe(true);
    expect(decodeCreatedCursor(p)).toEqual({ createdAt: 1_760_000_000_123, id: 'pay_0a-B' });
    expect(createdCursorSchema.safeParse('not-a-cursor').success).toBe(false);
  });

  it('hashes bodies independently of key order and derives stable ids per API key', () => {
    expect(requestHash({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(requestHash({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
    expect(idempotentId('con', 'k1', 'x')).toBe(idempotentId('con', 'k1', 'x'));
    expect(idempotentId('con', 'k1', 'x')).not.toBe(idempotentId('con', 'k2', 'x'));
  });
});
