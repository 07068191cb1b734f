/**
 * `npm run bench`: what the daemon costs, measured against the same work done without it.
 *
 * Three loopback members answering in the OpenAI shape after a fixed delay run in their own process
 * (`bench/members.ts`); the daemon runs as users run it (`dist/cli.mjs daemon`), with its default
 * per-model limits (64 calls in flight to an OpenAI-compatible server). After a warm-up, in one run, interleaved (each iteration runs the variants
 * in a shuffled order, so drift in machine load hits them alike):
 *   1. overhead: the same three-member classification sent straight to the members (in parallel,
 *      undici, the same request body the daemon sends, the answer parsed the same way) and through
 *      the daemon's WebSocket: p50 and p99 of each and of the per-iteration difference;
 *   2. ensemble latency over its slowest member (the direct fan-out waits for the slowest);
 *   3. throughput with 1, 16 and 64 concurrent clients, direct and through the daemon, alternated,
 *      with the daemon's CPU and RSS beside it;
 *   4. the HTTP gateway's overhead the same way as 1 (`POST /v1/classifications`);
 *   5. early exit and routing savings (calls per item against accuracy) on recorded MMLU-Pro answers
 *      (`--data DIR` or ENSEMBLE_MMLU_PRO; skipped, saying so, when absent).
 * Writes bench/results/latest.json and bench/results/latest.md.
 *
 *   npm run bench -- [--iterations 400] [--seconds 3] [--delay-ms 20] [--data DIR]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startDaemon } from '../client/daemonClient';
import { labelScoresFromAnswer, parseWireLogprobs } from '../daemon/backends/labelLogprobs';
import { TOP_LOGPROBS } from '../daemon/backends/openai';
import { chatPrompt } from '../daemon/backends/prompts';
import { loopDelayText } from '../common/loopDelayText';
import type { DaemonFile } from '../protocol/daemonFile';
import { PoolStatus } from '../protocol/methods';
import { earlyExitSavings } from './savings';
import { cpuSeconds, median, percentile, round, rssMiB } from './stats';
import { writeResults } from './report';
import { LeanClient } from './wsClient';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    'delay-ms': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '1,16,64' },
    data: { type: 'string' },
    // e.g. `--daemon-node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof` to profile the daemon under this load.
    'daemon-node-args': { type: 'string', default: '' },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'results') },
  },
});
const ITERATIONS = Number(args.iterations);
const WARMUP = Number(args.warmup);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const DELAY_MS = Number(args['delay-ms']);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const DAEMON_NODE_ARGS = args['daemon-node-args'].split(',').filter(Boolean);

const LABELS = ['bug', 'feature', 'question'];
const TEXT = 'The app crashes when I press save after editing a file with unicode in its name.';
const log = (s: string) => process.stderr.write(`${s}\n`);

async function startMembers(): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'members.ts'), '--count', '3', '--delay-ms', String(DELAY_MS)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: ROOT,
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench members exited (${code}) before listening`)));
  });
  return { child, ports: (JSON.parse(line) as { ports: number[] }).ports };
}

/**
 * The direct path: what a client would do without the daemon. Each call builds its prompt and body
 * as the daemon's backend does (a client classifying new text cannot reuse last call's bytes), sends
 * the same bytes, and parses the answer the same way.
 */
function directClient(ports: number[]) {
  const pools = ports.map((p) => new Pool(`http://127.0.0.1:${p}`, { connections: 128 }));
  const one = async (pool: Pool) => {
    const prompt = chatPrompt({ text: TEXT, labels: LABELS, promptStyle: 'direct' });
    const body = JSON.stringify({
      model: 'bench-model',
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
      temperature: 0,
      max_tokens: prompt.maxTokens,
      stream: false,
      logprobs: true,
      top_logprobs: TOP_LOGPROBS,
    });
    const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
    const json = (await res.body.json()) as { choices: Array<{ message: { content: string }; logprobs: { content: unknown } }> };
    const choice = json.choices[0]!;
    return labelScoresFromAnswer(choice.message.content, parseWireLogprobs(choice.logprobs.content), {
      text: TEXT,
      labels: LABELS,
      promptStyle: 'direct',
    });
  };
  return {
    classify: () => Promise.all(pools.map(one)),
    close: () => Promise.all(pools.map((p) => p.close())),
  };
}

function gatewayClient(info: DaemonFile) {
  const pool = new Pool(`http://127.0.0.1:${info.port}`, { connections: 128 });
  const body = JSON.stringify({ text: TEXT, labels: LABELS });
  return {
    async classify() {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/classifications',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}` },
        body,
      });
      const json = (await res.body.json()) as { label?: string };
      if (res.statusCode !== 200 || !json.label) throw new Error(`gateway answered ${res.statusCode}`);
      return json;
    },
    close: () => pool.close(),
  };
}

const shuffle = <T>(xs: T[]): T[] => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
};

async function closedLoop(workers: number, seconds: number, call: (w: number) => Promise<unknown>) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        try {
          await call(w);
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { perSecond: done / seconds, errors };
}

async function main(): Promise<void> {
  const cli = path.join(ROOT, 'dist', 'cli.mjs');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: npm run bench builds it first`);
  const loadAtStart = os.loadavg().map((x) => round(x, 2));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-bench-'));
  const members = await startMembers();
  let daemonInfo: DaemonFile | null = null;
  const conns: LeanClient[] = [];
  try {
    fs.writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({
        models: members.ports.map((p, i) => ({
          id: `m${i}`,
          backend: 'openai',
          baseUrl: `http://127.0.0.1:${p}/v1`,
          model: 'bench-model',
        })),
        ensembles: { default: { members: ['m0', 'm1', 'm2'], strategy: 'weighted', labels: LABELS } },
      }),
    );
    daemonInfo = await startDaemon({
      home,
      command: [process.execPath, ...DAEMON_NODE_ARGS, cli, 'daemon', '--log-level', 'warn'],
      timeoutMs: 60_000,
    });
    const pid = daemonInfo.pid;
    const connect = () => LeanClient.connect(daemonInfo!);
    conns.push(await connect());
    const direct = directClient(members.ports);
    const gateway = gatewayClient(daemonInfo);
    const viaDaemon = (i = 0) => conns[i]!.request('ensemble/classify', { text: TEXT, labels: LABELS });

    log(`warm-up: ${WARMUP} iterations of each`);
    for (let i = 0; i < WARMUP; i++) {
      await direct.classify();
      await viaDaemon();
      await gateway.classify();
    }

    log(`overhead: ${ITERATIONS} interleaved iterations (direct fan-out, daemon WebSocket, gateway HTTP)`);
    const lat = { direct: [] as number[], daemon: [] as number[], gateway: [] as number[] };
    const variants = { direct: () => direct.classify(), daemon: () => viaDaemon(), gateway: () => gateway.classify() };
    for (let i = 0; i < ITERATIONS; i++) {
      for (const name of shuffle(['direct', 'daemon', 'gateway'] as const)) {
        const t0 = performance.now();
        await variants[name]();
        lat[name].push(performance.now() - t0);
      }
    }
    const diff = (a: number[], b: number[]) => a.map((x, i) => x - b[i]!);
    const summary = (xs: number[]) => ({
      p50_ms: round(percentile(xs, 50)),
      p99_ms: round(percentile(xs, 99)),
      mean_ms: round(xs.reduce((s, x) => s + x, 0) / xs.length),
    });
    const daemonDiff = diff(lat.daemon, lat.direct);
    const gatewayDiff = diff(lat.gateway, lat.direct);

    log(`throughput: ${CONCURRENCY.join(', ')} concurrent clients, ${SECONDS} s per phase, ${ROUNDS} rounds, direct and daemon alternated`);
    const throughput: Record<string, unknown>[] = [];
    for (const c of CONCURRENCY) {
      while (conns.length < c) conns.push(await connect());
      const runs = { direct: [] as number[], daemon: [] as number[] };
      const cpu: number[] = [];
      const clientCpu: number[] = [];
      const cpuPerDecision: number[] = [];
      const directCpuPerFanOut: number[] = [];
      const rss: number[] = [];
      // The members' own process must not be the bottleneck: its CPU in each mode is reported beside the rates.
      const membersCpu = { direct: [] as number[], daemon: [] as number[] };
      let errors = 0;
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of r % 2 === 0 ? (['direct', 'daemon'] as const) : (['daemon', 'direct'] as const)) {
          const cpu0 = cpuSeconds(pid);
          const own0 = cpuSeconds(process.pid);
          const members0 = cpuSeconds(members.child.pid!);
          const t0 = performance.now();
          const res = await closedLoop(c, SECONDS, mode === 'direct' ? () => direct.classify() : (w) => viaDaemon(w));
          errors += res.errors;
          runs[mode].push(res.perSecond);
          membersCpu[mode].push((100 * (cpuSeconds(members.child.pid!) - members0)) / ((performance.now() - t0) / 1000));
          const completed = Math.max(1, res.perSecond * SECONDS);
          if (mode === 'direct') directCpuPerFanOut.push((1000 * (cpuSeconds(process.pid) - own0)) / completed);
          if (mode === 'daemon') {
            cpuPerDecision.push((1000 * (cpuSeconds(pid) - cpu0)) / completed);
            clientCpu.push((100 * (cpuSeconds(process.pid) - own0)) / ((performance.now() - t0) / 1000));
            cpu.push((100 * (cpuSeconds(pid) - cpu0)) / ((performance.now() - t0) / 1000));
            rss.push(rssMiB(pid));
          }
        }
      }
      const d = median(runs.direct);
      const e = median(runs.daemon);
      throughput.push({
        clients: c,
        direct_per_s: round(d, 1),
        daemon_per_s: round(e, 1),
        ratio: round(e / d),
        daemon_cpu_percent: round(median(cpu), 0),
        bench_client_cpu_percent: round(median(clientCpu), 0),
        daemon_cpu_ms_per_decision: round(median(cpuPerDecision), 2),
        direct_client_cpu_ms_per_fan_out: round(median(directCpuPerFanOut), 2),
        daemon_rss_mib: round(Math.max(...rss), 0),
        members_cpu_percent_direct: round(median(membersCpu.direct), 0),
        members_cpu_percent_daemon: round(median(membersCpu.daemon), 0),
        errors,
      });
      log(
        `  ${c} clients: direct ${d.toFixed(0)}/s, daemon ${e.toFixed(0)}/s (${((100 * e) / d).toFixed(0)}%), daemon CPU ${median(cpu).toFixed(0)}% (bench client ${median(clientCpu).toFixed(0)}%), daemon CPU ${median(cpuPerDecision).toFixed(2)} ms per decision vs direct client ${median(directCpuPerFanOut).toFixed(2)} ms per fan-out, RSS ${Math.max(...rss).toFixed(0)} MiB, members CPU ${median(membersCpu.direct).toFixed(0)}% / ${median(membersCpu.daemon).toFixed(0)}%${errors ? `, ${errors} errors` : ''}`,
      );
    }

    // The daemon's own view of the run: how late its event loop ran (figures over its last one to two minutes).
    const afterRun = PoolStatus.parse(await conns[0]!.request('pool/status', {}));
    const loop = afterRun.eventLoop;
    log(loop ? `daemon ${loopDelayText(loop)}` : 'daemon event loop delay: not reported by this daemon');

    const dataDir = args.data ?? process.env.ENSEMBLE_MMLU_PRO;
    const savings = dataDir
      ? earlyExitSavings(dataDir)
      : { skipped: 'no recorded data named: pass --data DIR or set ENSEMBLE_MMLU_PRO', strategies: [] };
    log(
      savings.skipped
        ? `early exit / routing: skipped (${savings.skipped})`
        : `early exit / routing: ${savings.strategies.length} strategies on ${savings.items} items`,
    );

    const ratio64 = throughput.find((t) => t.clients === 64) as { ratio: number } | undefined;
    const result = {
      when: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memory_gib: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
        load_average_at_start: loadAtStart,
        load_average_at_end: os.loadavg().map((x) => round(x, 2)),
      },
      setup: {
        members: 3,
        member_delay_ms: DELAY_MS,
        members_process: 'separate (bench/members.ts)',
        daemon_config: 'default per-model limits (openai: 64 in flight), strategy weighted',
        iterations: ITERATIONS,
        warmup: WARMUP,
        throughput_seconds_per_phase: SECONDS,
        throughput_rounds: ROUNDS,
      },
      overhead_p50_ms: round(percentile(lat.daemon, 50) - percentile(lat.direct, 50)),
      overhead_p99_ms: round(percentile(lat.daemon, 99) - percentile(lat.direct, 99)),
      ensemble_over_slowest: round(median(lat.daemon) / median(lat.direct)),
      throughput_ratio_64: ratio64?.ratio ?? null,
      gateway_overhead_p50_ms: round(percentile(lat.gateway, 50) - percentile(lat.direct, 50)),
      gateway_overhead_p99_ms: round(percentile(lat.gateway, 99) - percentile(lat.direct, 99)),
      latency: {
        direct: summary(lat.direct),
        daemon: summary(lat.daemon),
        gateway: summary(lat.gateway),
        daemon_minus_direct_paired: summary(daemonDiff),
        gateway_minus_direct_paired: summary(gatewayDiff),
      },
      throughput,
      daemon_event_loop_ms: loop ? { p99: loop.p99Ms, max: loop.maxMs, mean: loop.meanMs, window_s: round(loop.windowMs / 1000, 0) } : null,
      early_exit_and_routing: savings,
    };
    writeResults(args.out, result);
    log(`wrote ${path.join(args.out, 'latest.json')} and latest.md`);
    for (const c of conns) c.close();
    await direct.close();
    await gateway.close();
  } finally {
    for (const c of conns) c.close();
    if (daemonInfo) {
      try {
        process.kill(daemonInfo.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    members.child.kill('SIGTERM');
    setTimeout(() => fs.rmSync(home, { recursive: true, force: true }), 500).unref();
  }
}

await main();
