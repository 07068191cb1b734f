/**
 * LoRA adapters on OpenAI-compatible servers, against the fake vLLM and llama.cpp servers on
 * loopback: vLLM is asked for the adapter by its --lora-modules name as the model; llama.cpp server
 * gets the adapter's id and scale in the request's `lora` field, and the model name stays the base's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAiBackend } from '../../daemon/backends/openai';
import type { LabelRequest } from '../../daemon/backends/backend';
import { OpenAiModel } from '../../protocol/config';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';

const LABELS = ['bug', 'feature', 'question'];
const req: LabelRequest = { text: 'It crashes on save', labels: LABELS, promptStyle: 'direct' };
const never = new AbortController().signal;

describe('served LoRA adapters', { timeout: 10_000 }, () => {
  let vllm: FakeOpenAiServer;
  let llamaServer: FakeOpenAiServer;
  before(async () => {
    vllm = await startOpenAiServer({ models: ['base-model', 'docs-lora'] });
    llamaServer = await startOpenAiServer({ flavor: 'llama.cpp', models: ['base.gguf'] });
  });
  after(async () => {
    await vllm.close();
    await llamaServer.close();
  });

  it('vLLM: the request names the adapter as the model, and health finds it in /v1/models', async () => {
    const b = new OpenAiBackend(
      OpenAiModel.parse({ id: 'docs', backend: 'openai', baseUrl: vllm.baseUrl, model: 'base-model', lora: { name: 'docs-lora' } }),
    );
    vllm.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
    assert.equal((await b.classify(req, never)).label, 'bug');
    const body = vllm.last('/v1/chat/completions')?.body as Record<string, unknown>;
    assert.equal(body.model, 'docs-lora');
    assert.equal(body.lora, undefined);
    assert.deepEqual(await b.health(never), { ok: true });

    const missing = new OpenAiBackend(
      OpenAiModel.parse({ id: 'x', backend: 'openai', baseUrl: vllm.baseUrl, model: 'base-model', lora: { name: 'code-lora' } }),
    );
    const h = await missing.health(never);
    assert.ok(!h.ok);
    assert.match(h.reason ?? '', /does not serve model "code-lora"/);
  });

  it('llama.cpp server: the request carries lora [{id, scale}] and the base model name', async () => {
    const b = new OpenAiBackend(
      OpenAiModel.parse({
        id: 'support',
        backend: 'openai',
        baseUrl: llamaServer.baseUrl,
        model: 'base.gguf',
        lora: { id: 1, scale: 0.75 },
      }),
    );
    llamaServer.script({ content: 'feature' });
    await b.generate({ prompt: 'hello', maxTokens: 4 }, never);
    const body = llamaServer.last('/v1/chat/completions')?.body as Record<string, unknown>;
    assert.equal(body.model, 'base.gguf');
    assert.deepEqual(body.lora, [{ id: 1, scale: 0.75 }]);
  });
});
