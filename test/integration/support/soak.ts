/**
 * A bounded soak of a real daemon on loopback: good clients classifying and reading status, bad
 * clients (fuzz frames, a client that never reads, connection churn, forged upgrades) and a
 * flapping member (answers, fails with 500/503, resets mid-body, hangs, goes away and comes back),
 * all for `seconds`, then everything stops by itself. The daemon's RSS and open descriptors are
 * sampled every second; growth is measured from the end of the warm-up (a fifth of the run by default) to the end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { LIMITS } from '../../../protocol/limits';
import { alts, resetMidBody, startOpenAiServer, type FakeOpenAiServer } from '../../fakes/openaiServer';
import { until } from '../../support/until';
import { LABELS, startTestDaemon, tempHome, writeConfig } from '../harness';
import { fuzzFrames } from './fuzzFrames';
import { RawClient, openFds, rssMiB } from './rawClient';

/**
 * Stated bounds, from the end of the warm-up to the end: RSS grows by less than 80 MiB (V8 sizes
 * its heap to the load in the first minute; a leak grows without end), open descriptors by fewer
 * than 16; peak RSS under 400 MiB.
 */
export const SOAK_BOUNDS = { rssGrowthMiB: 80, fdGrowth: 16, peakRssMiB: 400 };

export interface SoakResult {
  seconds: number;
  decisions: number;
  goodErrors: Record<string, number>;
  rss: { warm: number; end: number; peak: number };
  fds: { warm: number; end: number; peak: number };
  flaps: number;
}

const ANSWER = JSON.stringify({
  choices: [
    {
      message: { content: 'bug' },
      logprobs: {
        content: [
          {
            token: 'bug',
            logprob: -0.2,
            top_logprobs: [
              { token: 'bug', logprob: -0.2 },
              { token: 'feature', logprob: -1.8 },
            ],
          },
        ],
      },
    },
  ],
});

/** A member on a fixed port that cycles through behaviours, including not listening at all. */
class FlappingMember {
  private server: http.Server | null = null;
  port = 0;
  flaps = 0;
  private n = 0;

  private handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const mode = this.n++ % 6;
      if (req.method === 'GET')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [{"id": "test-model"}]}');
      if (mode === 0 || mode === 1) return void res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
      if (mode === 2) return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error": {"message": "flap"}}');
      if (mode === 3) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error": {"message": "loading"}}');
      if (mode === 4) return resetMidBody(res);
      // mode 5: hang until the daemon gives up on it
    });
  };

  async up(): Promise<void> {
    this.server = http.createServer(this.handler);
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
    this.flaps++;
  }
}

/** `warmFraction`: the share of the run treated as warm-up (V8 sizes its heap to the load early on). */
export async function runSoak(seconds: number, log: (s: string) => void = () => {}, warmFraction = 0.2): Promise<SoakResult> {
  const home = tempHome('ensemble-soak-');
  const stable: FakeOpenAiServer[] = [];
  for (let i = 0; i < 2; i++)
    stable.push((await startOpenAiServer()).script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] }));
  const flapping = new FlappingMember();
  await flapping.up();
  writeConfig(home, {
    models: [
      ...stable.map((s, i) => ({ id: `s${i}`, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      { id: 'flap', backend: 'openai', baseUrl: `http://127.0.0.1:${flapping.port}/v1`, model: 'test-model', timeoutMs: 1_500 },
    ],
    ensembles: {
      default: { members: ['s0', 's1', 'flap'], strategy: 'weighted', labels: LABELS, memberTimeoutMs: 2_000, deadlineMs: 5_000 },
    },
    daemon: { maxParallelMembers: 64 },
  });
  const daemon = await startTestDaemon(home);
  const { pid, port, token } = daemon.info;
  const end = Date.now() + seconds * 1000;
  const running = () => Date.now() < end;
  // Pacing of the load (how often each kind of client acts), not waiting for a result.
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const goodErrors: Record<string, number> = {};
  let decisions = 0;
  const samples: Array<{ t: number; rss: number; fds: number }> = [];

  const good = async (k: number) => {
    const c = await RawClient.open(port, token);
    try {
      for (let i = 0; running(); i++) {
        const r = await c.request(
          i % 5 === 4 ? 'decisions/recent' : i % 5 === 3 ? 'pool/status' : 'ensemble/classify',
          i % 5 < 3 ? { text: `soak ${k} ${i}` } : {},
          30_000,
        );
        if (r.error) goodErrors[r.error.message.slice(0, 60)] = (goodErrors[r.error.message.slice(0, 60)] ?? 0) + 1;
        else if (i % 5 < 3) decisions++;
        if (c.received.length > 100) c.received.length = 0;
      }
    } finally {
      c.close();
    }
  };
  const fuzzer = async () => {
    let seed = 1;
    while (running()) {
      const c = await RawClient.open(port, token);
      for (const f of fuzzFrames(200, seed++)) {
        if (!running() || c.ws.readyState !== WebSocket.OPEN) break;
        await c.send(f.data, f.binary).catch(() => {});
        c.received.length = 0;
      }
      c.close();
    }
  };
  const neverReads = async () => {
    const batch = JSON.stringify(
      Array.from({ length: LIMITS.maxBatch }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'pool/status', params: {} })),
    );
    while (running()) {
      const c = await RawClient.open(port, token);
      c.ws.pause();
      for (let i = 0; i < 2_000 && running() && c.ws.readyState === WebSocket.OPEN && c.ws.bufferedAmount < 32 * 2 ** 20; i++) {
        c.ws.send(batch);
        if (i % 50 === 0) await pause(10);
      }
      await pause(2_000);
      c.close();
    }
  };
  const churn = async () => {
    while (running()) {
      const c = await RawClient.open(port, token).catch(() => null);
      c?.close();
      // Forged upgrades too: they must be refused and logged short.
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
          headers: { Authorization: 'Bearer forged', Origin: `https://evil.example/${'x'.repeat(2_000)}` },
        });
        ws.on('error', () => resolve());
        ws.on('open', () => {
          ws.close();
          resolve();
        });
      });
      await pause(50);
    }
  };
  const flap = async () => {
    while (running()) {
      await pause(3_000);
      await flapping.down();
      await pause(1_000);
      await flapping.up();
    }
  };
  const sample = async () => {
    const t0 = Date.now();
    while (running()) {
      samples.push({ t: Date.now() - t0, rss: rssMiB(pid), fds: openFds(pid) });
      if (samples.length % 10 === 0)
        log(`soak ${samples.length}s: RSS ${samples.at(-1)!.rss.toFixed(0)} MiB, fds ${samples.at(-1)!.fds}, ${decisions} decisions`);
      await pause(1_000);
    }
  };

  try {
    await Promise.all([good(0), good(1), good(2), good(3), fuzzer(), neverReads(), churn(), flap(), sample()]);
    // Closing sockets and timed-out member calls release their descriptors a little after the load
    // stops: wait for that (a leak never settles, and the bound below then fails with the numbers).
    const warm = samples[Math.max(0, Math.floor(samples.length * warmFraction))]!;
    await until('the descriptors to settle', async () => (openFds(pid) - warm.fds < SOAK_BOUNDS.fdGrowth ? true : undefined), 30_000).catch(
      () => undefined,
    );
    samples.push({ t: seconds * 1000, rss: rssMiB(pid), fds: openFds(pid) });
    const last = samples.at(-1)!;
    return {
      seconds,
      decisions,
      goodErrors,
      rss: { warm: warm.rss, end: last.rss, peak: Math.max(...samples.map((s) => s.rss)) },
      fds: { warm: warm.fds, end: last.fds, peak: Math.max(...samples.map((s) => s.fds)) },
      flaps: flapping.flaps,
    };
  } finally {
    await daemon.stop();
    await flapping.down();
    for (const s of stable) await s.close();
  }
}
