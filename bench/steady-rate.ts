/**
 * An open-loop load driver: requests leave at evenly spaced instants, whatever the server does, and
 * each latency is measured from the instant the request was due (not from when it could be sent), so
 * a stalled server is charged for every request it delayed.
 *
 * Why not autocannon's `overallRate`: it gives each connection a per-second budget that the connection
 * spends back to back from the start of every second, then idles; "1 000 req/s" over 20 connections
 * is a burst at full speed for the first part of each second, and the latency it reports is that of a
 * saturated server.
 */
import { Agent } from 'undici';

export interface SteadyRateOptions {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** The body of request number `i` (from 0). */
  body: (i: number) => Buffer;
  ratePerSecond: number;
  durationSeconds: number;
  /** Keep-alive connections; a request due while all are busy waits for one (and its latency grows). */
  connections: number;
}

export interface SteadyRateResult {
  sent: number;
  ok: number;
  failed: number;
  /** Achieved rate of completed requests. */
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /**
   * p99 measured from the moment the request was handed to the HTTP client rather than from its due
   * instant: the difference is the driver's own lateness (on a machine whose cores the server shares
   * with the driver, the driver's event loop is sometimes late too).
   */
  p99FromSend: number;
  /** p99 of the requests due after the first second: without the warm-up of a freshly started server. */
  p99AfterFirstSecond: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export async function steadyRate(o: SteadyRateOptions): Promise<SteadyRateResult> {
  const u = new URL(o.url);
  const agent = new Agent({ connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.round(o.ratePerSecond * o.durationSeconds);
  const latencies = new Float64Array(total);
  const fromSend = new Float64Array(total);
  const intervalMs = 1000 / o.ratePerSecond;
  let sent = 0;
  let done = 0;
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  const one = (i: number, due: number): void => {
    const sentAt = performance.now();
    agent
      .request({ origin: u.origin, path: u.pathname + u.search, method: o.method, headers: o.headers, body: o.method === 'POST' ? o.body(i) : undefined })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else failed++;
      })
      .catch(() => failed++)
      .finally(() => {
        const end = performance.now();
        latencies[i] = end - due;
        fromSend[i] = end - sentAt;
        if (++done === total) finish();
      });
  };

  // Each tick sends every request whose instant has come; a late tick sends the ones it owes at once
  // (their latency is counted from their own instant).
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) {
        one(sent, start + sent * intervalMs);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - start) / 1000;
  await agent.close();
  const afterFirstSecond = latencies.slice(Math.min(total, Math.round(o.ratePerSecond))).sort();
  const sorted = latencies.sort();
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return { sent, ok, failed, reqPerSec: Math.round(done / elapsed), p50: r2(percentile(sorted, 0.5)), p90: r2(percentile(sorted, 0.9)), p99: r2(percentile(sorted, 0.99)), max: r2(sorted[sorted.length - 1] ?? NaN), p99FromSend: r2(percentile(fromSend.sort(), 0.99)), p99AfterFirstSecond: r2(percentile(afterFirstSecond, 0.99)) };
}
