import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';

describe('metric names', () => {
  it('every metric starts with countersign_ once, and the process metrics read countersign_process_*, not countersign_process_process_*', async () => {
    const { registry } = createMetrics();
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(name).toMatch(/^countersign_/);
      expect(name).not.toMatch(/process_process|countersign_countersign/);
    }
    expect(names).toContain('countersign_process_cpu_user_seconds_total');
    expect(names).toContain('countersign_nodejs_eventloop_lag_seconds');
    expect(names).toContain('countersign_turns_total');
  });
});
