/**
 * How a request names a LoRA adapter on an OpenAI-compatible server (pure):
 * - vLLM multi-LoRA serving (`--enable-lora --lora-modules name=path`) serves each adapter as a model
 *   of its own: the request's "model" is the adapter's name (and GET /v1/models lists it);
 * - llama.cpp server (`--lora path`, listed with their ids by GET /lora-adapters) applies adapters
 *   per request from a `lora: [{ id, scale }]` field; adapters the field does not name get scale 0
 *   for that request, so one server can serve the base and each adapter as separate members.
 */
import type { OpenAiModelEntry } from '../../protocol/config';

/** The "model" a request (and the health check's /models lookup) should name. */
export function servedModelName(entry: Pick<OpenAiModelEntry, 'model' | 'lora'>): string {
  return entry.lora?.name ?? entry.model;
}

/** Extra request fields that select the adapter (none for vLLM, whose adapter is the model name). */
export function loraRequestFields(entry: Pick<OpenAiModelEntry, 'lora'>): { lora?: Array<{ id: number; scale: number }> } {
  const lora = entry.lora;
  return lora?.id === undefined ? {} : { lora: [{ id: lora.id, scale: lora.scale }] };
}
