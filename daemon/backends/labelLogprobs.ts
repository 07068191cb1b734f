/**
 * Label probabilities from the per-token top logprobs of a chat answer (OpenAI-compatible servers
 * and Ollama both return them as `{token, logprob, top_logprobs: [{token, logprob}]}` per generated
 * token).
 *
 * Only the answer's first content token is scored: its top alternatives are the model's own
 * distribution over how the answer starts. Each alternative's probability goes to the labels it is
 * a prefix of; a prefix shared by several labels is settled by what the model went on to write when
 * that alternative is the token it generated, and split evenly otherwise. Alternatives that start no
 * label are reported as `unmatched` mass and left out of the distribution.
 */
import { EnsembleError } from '../../protocol/errors';
import { trimEndChars } from '../../common/trimChars';
import type { LabelRequest, LabelScores } from './backend';
import { argmaxLabel, matchLabel, normalizeDistribution, parseVerbalizedConfidence } from './answerParsing';
import { own } from '../../common/ownProperty';

export interface TokenAlternative {
  token: string;
  logprob: number;
}

/** One generated token with the alternatives the server reported at its position. */
export interface TokenLogprob extends TokenAlternative {
  top: TokenAlternative[];
}

export interface LabelLogprobs {
  /** A probability for every label, summing to 1. */
  probabilities: Record<string, number>;
  /** Raw probability mass, at the answer position, of alternatives that start no label. */
  unmatched: number;
  /** Index of the scored token in the token list. */
  position: number;
}

export interface LabelLogprobsOptions {
  /**
   * Reasoning styles: the answer is whatever follows the last "Answer:"; without one there is
   * nothing to score. Otherwise (direct style) the answer is the first content token, or what
   * follows "Answer:" when the model wrote one anyway.
   */
  requireAnswerMarker?: boolean;
}

/** Leading characters that are not part of an answer: whitespace, quotes, markdown emphasis, brackets. */
const FILLER = /[\s"'`*“”‘’«»([]/;
const LEADING_FILLER = /^[\s"'`*“”‘’«»([]+/;
/** Trailing quotes and punctuation, trimmed with a loop (an end-anchored /[...]+$/ is quadratic in a long run). */
const TRAILING_PUNCT = /[\s"'`*“”‘’«».,;:!?)\]]/;
const trimTrailingPunct = (s: string) => trimEndChars(s, (c) => TRAILING_PUNCT.test(c));
const ANSWER_MARKER = /\banswer\s*:/gi;

function norm(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

const normalized = new WeakMap<readonly string[], ReadonlyArray<readonly [string, string]>>();

/** Each label with its normalized form, computed once per label list (the members of a request share one). */
function normalizedLabels(labels: readonly string[]): ReadonlyArray<readonly [string, string]> {
  let pairs = normalized.get(labels);
  if (!pairs) {
    pairs = labels.map((l) => [l, norm(l)] as const);
    normalized.set(labels, pairs);
  }
  return pairs;
}

/** Where the answer starts: the token holding its first character, and how many of that token's characters come before it. */
function answerStart(tokens: readonly TokenLogprob[], requireMarker: boolean): { index: number; skip: number; at: number } | null {
  const text = tokens.map((t) => t.token).join('');
  let from = -1;
  for (const m of text.matchAll(ANSWER_MARKER)) from = m.index + m[0].length;
  if (from < 0) {
    if (requireMarker) return null;
    from = 0;
  }
  let at = from;
  while (at < text.length && FILLER.test(text[at]!)) at++;
  if (at >= text.length) return null;
  let start = 0;
  for (let i = 0; i < tokens.length; i++) {
    const end = start + tokens[i]!.token.length;
    if (at < end) return { index: i, skip: at - start, at };
    start = end;
  }
  return null;
}

/**
 * What an alternative says about the answer, normalized for prefix matching: '' for pure filler
 * (ignored), null when it cannot start the answer (unmatched).
 */
function candidateCore(token: string, pre: string): string | null {
  let t = token;
  if (pre.replace(LEADING_FILLER, '') !== '') {
    // The generated token straddles the "Answer:" marker (e.g. ":bug"): alternatives must share that lead.
    if (!t.toLowerCase().startsWith(pre.toLowerCase())) return null;
    t = t.slice(pre.length);
  }
  return norm(trimTrailingPunct(t.replace(LEADING_FILLER, '')));
}

/** Among labels sharing a prefix, the one(s) the generated continuation names. */
function settleByContinuation(matches: string[], continuation: string): string[] {
  const gen = norm(continuation);
  const full = matches.filter((l) => {
    const n = norm(l);
    return gen.startsWith(n) && !/[a-z0-9]/.test(gen.charAt(n.length));
  });
  if (full.length > 0) return [full.reduce((a, b) => (norm(b).length > norm(a).length ? b : a))];
  // Generation stopped mid-label (token limit): keep the labels it is still a prefix of.
  const core = norm(trimTrailingPunct(continuation));
  const partial = matches.filter((l) => norm(l).startsWith(core));
  return partial.length > 0 ? partial : matches;
}

/** A distribution over `labels` from the answer's first token, or null when no alternative starts a label. */
export function labelLogprobs(
  tokens: readonly TokenLogprob[],
  labels: readonly string[],
  options: LabelLogprobsOptions = {},
): LabelLogprobs | null {
  const start = answerStart(tokens, options.requireAnswerMarker ?? false);
  if (!start) return null;
  const chosen = tokens[start.index]!;
  const pre = chosen.token.slice(0, start.skip);
  const continuation = tokens
    .map((t) => t.token)
    .join('')
    .slice(start.at);

  const alternatives = new Map<string, number>();
  for (const alt of chosen.top) if (!alternatives.has(alt.token)) alternatives.set(alt.token, alt.logprob);
  // Some servers leave the sampled token out of its own top list (or send no list at all).
  if (!alternatives.has(chosen.token)) alternatives.set(chosen.token, chosen.logprob);

  const scores: Record<string, number> = {};
  for (const l of labels) scores[l] = 0;
  const normLabels = normalizedLabels(labels);
  let unmatched = 0;
  let matched = 0;
  for (const [token, logprob] of alternatives) {
    const p = Math.exp(logprob);
    if (!(p > 0)) continue;
    const core = candidateCore(token, pre);
    if (core === '') continue;
    let hits = core === null ? [] : normLabels.filter(([, n]) => n.startsWith(core)).map(([l]) => l);
    if (hits.length === 0) {
      unmatched += p;
      continue;
    }
    if (hits.length > 1 && token === chosen.token) hits = settleByContinuation(hits, continuation);
    for (const l of hits) scores[l]! += p / hits.length;
    matched += p;
  }
  if (!(matched > 0)) return null;
  return { probabilities: normalizeDistribution(scores), unmatched, position: start.index };
}

/**
 * The wire shape shared by OpenAI-compatible chat completions (`choices[0].logprobs.content`) and
 * Ollama (`logprobs`): `[{token, logprob, bytes?, top_logprobs?: [{token, logprob, bytes?}]}]`.
 * Lenient about shape: entries without a token or a logprob are dropped; null when there is
 * nothing usable. Strict about values, because they come from another program: a logprob must be
 * a number <= 0 (-Infinity, what JSON's `-1e999` parses to, is probability 0); NaN-ish strings,
 * +Infinity or positive logprobs throw a BackendError saying which token carried what.
 */
export function parseWireLogprobs(value: unknown): TokenLogprob[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const out: TokenLogprob[] = [];
  for (const entry of value) {
    const e = entry as { token?: unknown; logprob?: unknown; top_logprobs?: unknown };
    if (typeof e?.token !== 'string' || e.logprob === undefined || e.logprob === null) return null;
    const top: TokenAlternative[] = [];
    if (Array.isArray(e.top_logprobs)) {
      for (const alt of e.top_logprobs as { token?: unknown; logprob?: unknown }[]) {
        if (typeof alt?.token !== 'string' || alt.logprob === undefined || alt.logprob === null) continue;
        top.push({ token: alt.token, logprob: checkedLogprob(alt.logprob, alt.token) });
      }
    }
    out.push({ token: e.token, logprob: checkedLogprob(e.logprob, e.token), top });
  }
  return out;
}

/** Rounding lets servers report log(1) as a hair above 0; anything more is not a log-probability. */
const LOGPROB_TOLERANCE = 1e-4;

/** A logprob from the wire as a number in [-Infinity, 0], or a BackendError naming the token and the value. */
export function checkedLogprob(value: unknown, token: string): number {
  // NaN and +Infinity fail the comparison; -Infinity passes (probability 0).
  if (typeof value === 'number' && value <= LOGPROB_TOLERANCE) return Math.min(value, 0);
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value).slice(0, 40);
  throw new EnsembleError(
    'BackendError',
    `the server sent logprob ${shown} for token ${JSON.stringify(token.slice(0, 40))}: expected a number <= 0 (a log-probability); the vote is dropped`,
  );
}

/** Probabilities and confidence of a vote, checked before they leave the backend: finite, in [0, 1]. */
export function checkLabelScores(scores: LabelScores): LabelScores {
  const bad = (v: number | null) => v !== null && !(v >= 0 && v <= 1);
  let badLabel: string | undefined;
  for (const label in scores.probabilities) {
    if (Object.hasOwn(scores.probabilities, label) && bad(scores.probabilities[label]!)) {
      badLabel = label;
      break;
    }
  }
  if (badLabel !== undefined || bad(scores.confidence)) {
    const what =
      badLabel !== undefined
        ? `probability ${scores.probabilities[badLabel]} for label ${JSON.stringify(badLabel)}`
        : `confidence ${scores.confidence}`;
    throw new EnsembleError('BackendError', `the model's answer gave ${what}: expected a finite number in [0, 1]; the vote is dropped`);
  }
  return scores;
}

const MAX_TEXT = 500;

/**
 * A chat backend's vote from its answer text and (when the server sent them) token logprobs.
 * Logprobs win; then a verbalized confidence (withConfidence style); otherwise no confidence.
 */
export function labelScoresFromAnswer(content: string, tokens: TokenLogprob[] | null, req: LabelRequest): LabelScores {
  const text = content.trim().slice(0, MAX_TEXT);
  const named = matchLabel(content, req.labels);
  const lp = tokens ? labelLogprobs(tokens, req.labels, { requireAnswerMarker: req.promptStyle !== 'direct' }) : null;
  if (lp) {
    const label = named ?? argmaxLabel(lp.probabilities, req.labels);
    return checkLabelScores({
      label,
      probabilities: lp.probabilities,
      confidence: label === null ? null : (own(lp.probabilities, label) ?? 0),
      confidenceSource: 'logprobs',
      text,
    });
  }
  const verbalized = req.promptStyle === 'withConfidence' && named !== null ? parseVerbalizedConfidence(content) : null;
  if (verbalized !== null) return { label: named, probabilities: {}, confidence: verbalized, confidenceSource: 'verbalized', text };
  return { label: named, probabilities: {}, confidence: null, confidenceSource: 'none', text };
}
