/**
 * deploy/grafana/recording-b2bua.json names only metrics the service registers: every
 * `b2bua_*` in a panel's query is one of the registry's (histograms by their _bucket series).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import t from 'tap';
import { createMetrics } from '../../../src/metrics';

t.test('the dashboard queries registered metrics only', async (t) => {
  const registry = new Registry();
  createMetrics(registry);
  const known = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    known.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(m.name + s);
  }
  const dash = JSON.parse(readFileSync(join(__dirname, '../../../../deploy/grafana/recording-b2bua.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  t.ok(dash.panels.length >= 10, 'a panel per family');
  const used = new Set<string>();
  for (const p of dash.panels) {
    for (const target of p.targets) {
      const names = target.expr.match(/b2bua_\w+/g) ?? [];
      t.ok(names.length > 0, `${p.title}: queries a b2bua metric`);
      for (const n of names) {
        used.add(n);
        t.ok(known.has(n), `${p.title}: ${n} is registered`);
      }
    }
  }
  const families = [...known].filter((n) => !/_(bucket|sum|count)$/.test(n) && !n.startsWith('process_') && !n.startsWith('nodejs_'));
  t.same(families.filter((n) => ![...used].some((u) => u.startsWith(n))), [], 'every b2bua metric has a panel');
});
