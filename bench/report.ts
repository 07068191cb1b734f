/** Writes the bench's results: the JSON other tools read, and the Markdown table docs/benchmarks.md quotes. */
import fs from 'node:fs';
import path from 'node:path';
import type { Savings } from './savings';

type Row = Record<string, unknown>;

const loadAt = (x: unknown) => (Array.isArray(x) ? x.join(' / ') : 'n/a');
const fmt = (x: unknown, unit = '') => (x === null || x === undefined ? 'n/a' : `${String(x)}${unit}`);

/** The daemon's event-loop delay after the throughput phases, as its pool/status reported it. */
function loopDelayLine(loop: Row | null | undefined): string[] {
  if (!loop) return [];
  return [
    `Daemon event loop delay after the run (its last ${fmt(loop.window_s, ' s')}): p99 ${fmt(loop.p99, ' ms')}, ` +
      `max ${fmt(loop.max, ' ms')}, mean ${fmt(loop.mean, ' ms')}.`,
    '',
  ];
}

export function writeResults(
  dir: string,
  r: Row & { machine: Row; setup: Row; latency: Record<string, Row>; throughput: Row[]; early_exit_and_routing: Savings },
): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  const m = r.machine;
  const lines = [
    `Measured ${String(r.when).slice(0, 16).replace('T', ' ')} UTC on ${fmt(m.cpu)}, ${fmt(m.cores)} cores, ${fmt(m.memory_gib)} GiB, Node ${fmt(m.node)}; ` +
      `load average ${loadAt(m.load_average_at_start)} at start, ${loadAt(m.load_average_at_end)} at end. ` +
      `Three loopback OpenAI-shape members answering after ${fmt(r.setup.member_delay_ms)} ms, ` +
      `in their own process; ${fmt(r.setup.daemon_config)}.`,
    '',
    '| | p50 | p99 |',
    '|---|---|---|',
    `| direct fan-out to the 3 members (undici, parallel) | ${fmt(r.latency.direct!.p50_ms, ' ms')} | ${fmt(r.latency.direct!.p99_ms, ' ms')} |`,
    `| through the daemon (WebSocket JSON-RPC) | ${fmt(r.latency.daemon!.p50_ms, ' ms')} | ${fmt(r.latency.daemon!.p99_ms, ' ms')} |`,
    `| through the gateway (HTTP) | ${fmt(r.latency.gateway!.p50_ms, ' ms')} | ${fmt(r.latency.gateway!.p99_ms, ' ms')} |`,
    `| **daemon overhead** (daemon minus direct) | **${fmt(r.overhead_p50_ms, ' ms')}** | **${fmt(r.overhead_p99_ms, ' ms')}** |`,
    `| daemon minus direct, paired per iteration | ${fmt(r.latency.daemon_minus_direct_paired!.p50_ms, ' ms')} | ${fmt(r.latency.daemon_minus_direct_paired!.p99_ms, ' ms')} |`,
    `| gateway overhead | ${fmt(r.gateway_overhead_p50_ms, ' ms')} | ${fmt(r.gateway_overhead_p99_ms, ' ms')} |`,
    '',
    `Ensemble latency over its slowest member (p50 daemon / p50 direct fan-out): **${fmt(r.ensemble_over_slowest)}**.`,
    '',
    ...loopDelayLine(r.daemon_event_loop_ms as Row | null | undefined),
    '| concurrent clients | direct /s | daemon /s | daemon / direct | daemon CPU | daemon CPU per decision | ' +
      'direct client CPU per fan-out | daemon RSS | members CPU (direct / daemon) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.throughput.map(
      (t) =>
        `| ${fmt(t.clients)} | ${fmt(t.direct_per_s)} | ${fmt(t.daemon_per_s)} | ${fmt(t.ratio)} | ${fmt(t.daemon_cpu_percent, '%')} | ` +
        `${fmt(t.daemon_cpu_ms_per_decision, ' ms')} | ${fmt(t.direct_client_cpu_ms_per_fan_out, ' ms')} | ${fmt(t.daemon_rss_mib, ' MiB')} | ` +
        `${fmt(t.members_cpu_percent_direct, '%')} / ${fmt(t.members_cpu_percent_daemon, '%')} |`,
    ),
    '',
  ];
  const s = r.early_exit_and_routing;
  if (s.skipped) lines.push(`Early exit and routing savings: skipped (${String(s.skipped)}).`);
  else {
    lines.push(`Early exit and routing on recorded MMLU-Pro answers (${(s.pool ?? []).join(' + ')}; ${fmt(s.items)} held-out items):`, '');
    lines.push('| strategy | accuracy | calls per item | calls saved vs asking all |', '|---|---|---|---|');
    for (const st of s.strategies)
      lines.push(`| ${fmt(st.name)} | ${fmt(st.accuracy)} | ${fmt(st.calls_per_item)} | ${fmt(st.calls_saved_vs_all)} |`);
  }
  fs.writeFileSync(path.join(dir, 'latest.md'), `${lines.join('\n')}\n`);
}
