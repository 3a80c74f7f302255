/**
 * The stream in a running gateway: a REST send is counted per VASP and day by the consumer
 * 'vasp-counters', and /metrics and /healthz show each consumer's lag.
 */
import t from 'tap';
import { utcDay, vaspDailyCounters } from '../../src/vasp/counters.js';
import { bearer, until, vaspGateway } from '../vasp/helpers.js';

t.test('REST sends are counted per VASP and day; /metrics and /healthz show the consumers', async (t) => {
  const { gw } = await vaspGateway(t);
  for (const to of [['+15550103001', '+15550103002'], ['+15550103003']]) {
    const res = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN'), 'content-type': 'application/json' }, body: JSON.stringify({ to, text: 'counted' }) });
    t.equal(res.status, 202);
    await res.arrayBuffer();
  }
  const day = utcDay(Date.now());
  const counts = await until(async () => {
    const c = (await vaspDailyCounters(gw.store, 'TNN', [day]))[day]!;
    return c.accepted === 3 && c.notified === 3 ? c : undefined;
  }, 'the counters');
  t.same(counts, { accepted: 3, notified: 3 });

  // The metric moves once the acknowledgement is flushed; the counters are readable from its commit.
  const metrics = await until(async () => {
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    return /^mmsc_stream_events_total\{consumer="vasp-counters",outcome="applied"\} 5$/m.test(m) ? m : undefined;
  }, 'the metric');
  t.match(metrics, /^mmsc_stream_lag\{consumer="reports"\} 0$/m);
  t.match(metrics, /^mmsc_stream_lag\{consumer="vasp-counters"\} 0$/m);
  t.match(metrics, /^mmsc_stream_lag_seconds\{consumer="vasp-counters"\} 0$/m);
  t.match(metrics, /^mmsc_stream_events_total\{consumer="vasp-counters",outcome="applied"\} 5$/m, 'two accepted and three notified events');
  const health = (await (await fetch(`${gw.url}/healthz`)).json()) as { checks: { stream: unknown } };
  t.match(health.checks.stream, { ok: true, detail: [{ consumer: 'reports', state: 'running', lag: 0, attempts: 0 }, { consumer: 'vasp-counters', state: 'running', lag: 0 }] });
});
