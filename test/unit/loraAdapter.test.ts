/** daemon/backends/loraAdapter.ts: loraProblem, llama.cpp's adapter rules as a table (no file, no llama.cpp). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loraProblem } from '../../daemon/backends/loraAdapter';

const base = {
  architecture: 'llama',
  tensors: new Map([
    ['output.weight', { dims: [64, 300], type: 0 }],
    ['blk.0.ffn_down.weight', { dims: [128, 64], type: 1 }],
    ['token_embd.weight', { dims: [64, 300], type: 1 }],
  ]),
};
const meta = (general: Record<string, unknown> = {}, adapter: Record<string, unknown> = {}) => ({
  general: { type: 'adapter', architecture: 'llama', ...general },
  adapter: { type: 'lora', lora: { alpha: 16 }, ...adapter },
});
const t = (name: string, ...dims: number[]) => ({ name, dims });
const outputPair = [t('output.weight.lora_a', 64, 8), t('output.weight.lora_b', 8, 300)];

describe('loraProblem', () => {
  const rows: Array<[string, Record<string, unknown>, Array<{ name: string; dims: number[] }>, RegExp | null]> = [
    [
      'a good adapter over output and an FFN tensor',
      meta(),
      [...outputPair, t('blk.0.ffn_down.weight.lora_a', 128, 8), t('blk.0.ffn_down.weight.lora_b', 8, 64)],
      null,
    ],
    ['norm vectors are ignored, as llama.cpp does', meta(), [...outputPair, t('blk.0.attn_norm.weight', 64)], null],
    ['token_embd has A and B flipped', meta(), [t('token_embd.weight.lora_a', 8, 300), t('token_embd.weight.lora_b', 8, 64)], null],
    [
      'a base model given as the adapter',
      { general: { architecture: 'llama' } },
      outputPair,
      /general\.type is null, expected "adapter" \(is this a base model/,
    ],
    ['another adapter type', meta({}, { type: 'ia3' }), outputPair, /adapter\.type is "ia3", expected "lora"/],
    ['another architecture', meta({ architecture: 'qwen2' }), outputPair, /for architecture "qwen2", the base model is "llama"/],
    ['no tensors', meta(), [], /no LoRA tensors/],
    ['a stray tensor', meta(), [...outputPair, t('output.weight', 64, 300)], /tensor "output\.weight" is not a LoRA tensor/],
    ['half a pair', meta(), [t('output.weight.lora_a', 64, 8)], /"output\.weight" has lora_a but not lora_b/],
    [
      'a tensor the base lacks',
      meta(),
      [t('blk.9.attn_q.weight.lora_a', 64, 8), t('blk.9.attn_q.weight.lora_b', 8, 64)],
      /does not exist in the base model/,
    ],
    [
      'ranks that do not match',
      meta(),
      [t('output.weight.lora_a', 64, 8), t('output.weight.lora_b', 4, 300)],
      /lora_a \[64, 8\] and lora_b \[4, 300\], which do not fit the base's \[64, 300\]/,
    ],
    ['another width', meta(), [t('output.weight.lora_a', 96, 8), t('output.weight.lora_b', 8, 300)], /do not fit/],
  ];
  for (const [name, metadata, tensors, problem] of rows) {
    it(name, () => {
      const got = loraProblem(metadata, tensors, base);
      if (problem === null) assert.equal(got, null);
      else assert.match(got ?? '', problem);
    });
  }
});
