/** Expanding an ensemble's member list: plain ids, and one model under several prompt styles. */
import type { EnsembleSpec, LabelSelfConsistency, ModelEntry } from '../../protocol/config';
import type { PromptStyle } from '../../protocol/ensemble';

export interface ResolvedMember {
  /** Unique within the ensemble: the model id, or `model#style` when the style is not `direct`. */
  member: string;
  model: string;
  promptStyle: PromptStyle;
  /** Member weight from the config (member, else model, else 1), before feedback recalibration. */
  priorWeight: number;
  /** The model's label sampling, when it is set to vote by self-consistency. */
  selfConsistency?: LabelSelfConsistency;
}

export function resolveMembers(spec: EnsembleSpec, models: readonly ModelEntry[]): ResolvedMember[] {
  const byId = new Map(models.map((m) => [m.id, m]));
  const used = new Set<string>();
  return spec.members.map((m) => {
    const model = typeof m === 'string' ? m : m.model;
    const promptStyle: PromptStyle = typeof m === 'string' ? 'direct' : m.promptStyle;
    const base = promptStyle === 'direct' ? model : `${model}#${promptStyle}`;
    let member = base;
    for (let i = 2; used.has(member); i++) member = `${base}#${i}`;
    used.add(member);
    const memberWeight = typeof m === 'string' ? undefined : m.weight;
    const entry = byId.get(model);
    const selfConsistency = entry && 'selfConsistency' in entry ? entry.selfConsistency : undefined;
    return { member, model, promptStyle, priorWeight: memberWeight ?? entry?.weight ?? 1, ...(selfConsistency ? { selfConsistency } : {}) };
  });
}
