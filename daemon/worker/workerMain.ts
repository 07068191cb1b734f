/**
 * Model worker process entry (`dist/worker.mjs`, forked by WorkerProcess). Hosts one in-process
 * backend per member (a plain model alone; LoRA adapter members over one base together, each with
 * its own context and adapter over the one loaded base: daemon/backends/sharedModels.ts), so that a
 * native abort in llama.cpp (GGML_ASSERT, segfault, out-of-memory kill) ends this process, not the
 * daemon. Speaks the zod-checked messages of messages.ts over the fork IPC channel; anything else
 * is dropped. Exits when the daemon goes away (IPC disconnect).
 */
import { asEnsembleError } from '../../protocol/errors';
import type { Backend } from '../backends/backend';
import { hostedBackend } from './hostedBackend';
import { FromWorker, ToWorker, workerMethods, type WorkerMethod } from './messages';
import { registerGpuPackage } from '../runtime/gpuPackageHook';

// Before any model loads: node-llama-cpp imports its GPU binary package lazily, inside getLlama.
try {
  registerGpuPackage();
} catch (e) {
  process.stderr.write(`worker: ignoring ENSEMBLE_GPU_PACKAGE (${(e as Error).message}); the GPU runtime will not be found\n`);
}

type Handler = (backend: Backend, params: unknown, signal: AbortSignal, onToken: (text: string) => void) => Promise<unknown>;

/** One handler per worker method; params are parsed with the method's schema first. */
const handlers: { [M in WorkerMethod]: Handler } = {
  health: (b, _p, signal) => b.health(signal),
  classify: (b, p, signal) => b.classify(workerMethods.classify.params.parse(p), signal),
  generate: (b, p, signal, onToken) => b.generate(workerMethods.generate.params.parse(p), signal, onToken),
  applyPlacement: async (b, p) => {
    b.applyPlacement?.(workerMethods.applyPlacement.params.parse(p));
    return {};
  },
};

/** The members this worker hosts, by handle. */
const members = new Map<string, Backend>();
/** Calls running, by call id (unique per worker). */
const calls = new Map<number, AbortController>();

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function serve(member: string, id: number, method: WorkerMethod, params: unknown): Promise<void> {
  const controller = new AbortController();
  calls.set(id, controller);
  try {
    const backend = members.get(member);
    if (!backend) throw new Error(`the worker hosts no member "${member}"`);
    const value = await handlers[method](backend, params, controller.signal, (text) => send({ type: 'token', member, id, text }));
    send({ type: 'result', member, id, value });
  } catch (e) {
    const err = asEnsembleError(e, 'BackendError');
    const hint = (err.data as { hint?: unknown } | undefined)?.hint;
    send({ type: 'error', member, id, error: { kind: err.kind, message: err.message, ...(typeof hint === 'string' ? { hint } : {}) } });
  } finally {
    calls.delete(id);
  }
}

async function disposeMember(member: string): Promise<void> {
  const backend = members.get(member);
  members.delete(member);
  await backend?.dispose().catch((e: unknown) => process.stderr.write(`worker: disposing ${member}: ${String(e)}\n`));
  send({ type: 'disposed', member });
}

process.on('message', (raw: unknown) => {
  const parsed = ToWorker.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`worker: dropped a malformed message: ${parsed.error.message}\n`);
    return;
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'init':
      if (!members.has(msg.member)) members.set(msg.member, hostedBackend(msg.entry));
      break;
    case 'call':
      void serve(msg.member, msg.id, msg.method, msg.params);
      break;
    case 'cancel':
      calls.get(msg.id)?.abort();
      break;
    case 'dispose':
      void disposeMember(msg.member);
      break;
  }
});

// The daemon is gone (exited, crashed, or disposed this worker): nobody can use our answers.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  const all = Promise.all([...members.values()].map((b) => b.dispose().catch(() => undefined)));
  void Promise.race([all, new Promise((r) => setTimeout(r, 1_000))]).finally(() => process.exit(0));
});
