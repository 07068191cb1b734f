/**
 * Self-consistency as a label confidence (SLM-MUX, for classification): a member set to sample
 * (`selfConsistency` on its model) is asked several times at a temperature; its vote is the
 * samples' majority label and its confidence the share of samples agreeing with it. Members whose
 * servers give no logprobs get a confidence this way that `weighted` can use and calibration fits
 * like any other. The samples are asked one after another: they share one slot of the member.
 */
import type { LabelSelfConsistency } from '../../protocol/config';
import type { LabelRequest, LabelScores } from '../backends/backend';

/** Asks `classify` once per sample with the sample's temperature and seed, then reads their agreement. */
export async function sampleLabels(
  classify: (req: LabelRequest) => Promise<LabelScores>,
  req: LabelRequest,
  sampling: LabelSelfConsistency,
): Promise<LabelScores> {
  const samples: LabelScores[] = [];
  for (let i = 0; i < sampling.samples; i++) {
    samples.push(
      await classify({ ...req, temperature: sampling.temperature, ...(sampling.seed !== undefined ? { seed: sampling.seed + i } : {}) }),
    );
  }
  return agreementOf(samples, req.labels);
}

/**
 * The majority label among the samples (ties: the label sampled first) and the share agreeing
 * with it. Abstentions count in the denominator and never agree. The distribution is each label's
 * share of the samples, so strategies that sum distributions see the member's spread.
 */
export function agreementOf(samples: readonly LabelScores[], labels: readonly string[]): LabelScores {
  // Labels are compared exactly (not normalized like free-text samples): two labels of one set may
  // differ only in case or punctuation.
  const counts = new Map<string, number>();
  for (const s of samples) if (s.label !== null) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  let label: string | null = null;
  for (const [l, n] of counts) if (label === null || n > counts.get(label)!) label = l;
  const probabilities: Record<string, number> = {};
  for (const l of labels) if (counts.has(l)) probabilities[l] = counts.get(l)! / samples.length;
  const text = samples.map((s, i) => `sample ${i + 1}: ${s.label ?? '(none)'}`).join('; ');
  return label === null
    ? { label: null, probabilities: {}, confidence: null, confidenceSource: 'none', text }
    : { label, probabilities, confidence: counts.get(label)! / samples.length, confidenceSource: 'selfConsistency', text };
}
