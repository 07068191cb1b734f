/**
 * Bounds the gateway enforces on every request, in one place (to be folded into the limits table
 * in protocol/limits.ts). A request over a bound is refused before any model runs.
 */
export const GATEWAY_LIMITS = {
  /** Request body, in bytes (413 above it). */
  maxBodyBytes: 1024 * 1024,
  /** Messages in one chat completion request. */
  maxMessages: 256,
  /** Characters in one message's content (all its text parts together). */
  maxContentChars: 100_000,
  /** Characters across all messages. */
  maxTotalChars: 200_000,
  /** Characters in `model`. */
  maxModelChars: 256,
  /** Labels of a classification, entity types of an extraction, options of an answer. */
  maxChoices: 200,
  maxChoiceChars: 200,
  /** Tokens a client may ask for per step. */
  maxTokens: 4096,
  /** Requests running through the gateway at once; more get 429. */
  maxInFlight: 32,
  /** Problems a 400 names (the first ones). */
  maxIssuesReported: 5,
} as const;
