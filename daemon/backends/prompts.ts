/**
 * The prompts every backend uses, one per prompt style, so that "the same member" means the same
 * question whichever server runs it. Prompt diversity (one model as several members) comes from
 * these styles.
 */
import type { PromptStyle } from '../../protocol/ensemble';
import type { LabelRequest } from './backend';

export const DEFAULT_INSTRUCTION = 'Classify the text into exactly one of the labels.';

export interface ChatPrompt {
  system: string;
  user: string;
  /** Tokens the answer may take: a label for `direct`, reasoning plus a label otherwise. */
  maxTokens: number;
}

const styleRule: Record<PromptStyle, string> = {
  direct: 'Reply with the label only, nothing else.',
  stepByStep: 'Think step by step in at most three short sentences, then end with a final line "Answer: <label>".',
  withConfidence: 'Reply in exactly two lines: "Answer: <label>" and "Confidence: <a number from 0 to 1>".',
};

const styleTokens: Record<PromptStyle, number> = { direct: 16, stepByStep: 160, withConfidence: 32 };

export function chatPrompt(req: LabelRequest): ChatPrompt {
  const labels = req.labels.join(', ');
  return {
    system: `${req.instruction ?? DEFAULT_INSTRUCTION} The labels are: ${labels}. ${styleRule[req.promptStyle]}`,
    user: req.text,
    maxTokens: styleTokens[req.promptStyle],
  };
}

/**
 * Plain-completion prompt for in-process scoring: the model's probability of each label is read
 * off the tokens that would follow "Answer:". Reasoning styles put their generated reasoning
 * before the answer line (see `answerLinePrompt`).
 */
export function completionPrompt(req: LabelRequest): string {
  return `${req.instruction ?? DEFAULT_INSTRUCTION}\nLabels: ${req.labels.join(', ')}\nText: ${req.text}\n`;
}

/** The line after which each label is scored, optionally after the model's own reasoning. */
export function answerLinePrompt(base: string, reasoning?: string): string {
  return reasoning ? `${base}Reasoning: ${reasoning.trim()}\nAnswer:` : `${base}Answer:`;
}

export function reasoningPrompt(base: string): string {
  return `${base}Let's think step by step.\nReasoning:`;
}
