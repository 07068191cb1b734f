/**
 * Every bound the daemon and its clients hold to, declared once. Each boundary enforces its own
 * rows with a fast, clear error (`LimitExceeded` or `PayloadTooLarge`, naming the limit), so that
 * no client, however large or slow, can grow the daemon's memory or hang another client.
 */
export const LIMITS = {
  /** WebSocket maxPayload, both directions: larger frames are refused before they are parsed. */
  maxPayloadBytes: 1024 * 1024,
  /**
   * Replies the daemon builds from stored data (`decisions/recent`, `recordings/items`) are cut to
   * pages this size, well inside the client's `maxPayload`; callers follow the page cursor.
   */
  maxReplyBytes: 768 * 1024,
  /** JSON-RPC batches: at most this many messages in one frame (a larger batch is refused whole). */
  maxBatch: 32,
  /** Requests one connection may have running at once; more are refused at once (LimitExceeded). */
  maxInFlightPerConnection: 64,
  /** WebSocket connections the daemon holds at once; more are refused at the upgrade (503). */
  maxConnections: 128,
  /**
   * A client whose unsent replies pass this many bytes is not reading: the daemon stops reading
   * its frames until the buffer drains below half of it, and drops it if it passes `dropBufferedBytes`.
   */
  pauseBufferedBytes: 4 * 1024 * 1024,
  dropBufferedBytes: 16 * 1024 * 1024,
  heartbeatIntervalMs: 15_000,
  /** Text to classify or refine, in characters (the frame limit bounds it anyway). */
  maxTextChars: 200_000,
  /** One label's length, and how many labels one request may give. */
  maxLabelChars: 200,
  maxLabels: 200,
  /** How many validation issues an error lists (the rest are counted), and how long its message may be. */
  maxErrorIssues: 5,
  maxErrorMessageChars: 2_000,
  /** A log line, in characters (longer ones are cut and say by how much). */
  maxLogLineChars: 4_000,
  /** The log file rotates at this size, keeping this many old files (daemon.log.1 ...). */
  logRotateBytes: 5 * 1024 * 1024,
  logKeepFiles: 3,
  /**
   * Text from members is hostile: a reply is read only this far (characters) when looking for a
   * label, an "Answer:" line or a verbalized confidence, whatever the model streamed. A short
   * answer, a label and a confidence are all far shorter; the rest is rambling.
   */
  maxMemberReplyChars: 16_384,
  /** A member's short answer, in characters, once its first line is taken (longer is cut). */
  maxAnswerChars: 2_000,
  /** One extracted span's text, in characters, and the spans one member may propose. */
  maxSpanChars: 2_000,
  maxSpansPerMember: 500,
  /**
   * Places one proposed span is aligned to in the text (a span like "a" occurs everywhere), and
   * the kept and rejected spans an extraction reply carries. Beyond them the reply says
   * `truncated: true` with counts of what was dropped, so it always fits `maxReplyBytes`.
   */
  maxOccurrencesPerSpan: 200,
  maxKeptSpans: 2_000,
  maxRejectedSpans: 1_000,
  /** The OpenAI-style HTTP gateway's request bounds (enforced by the gateway). */
  gateway: {
    maxMessages: 64,
    maxContentChars: 200_000,
    maxModelName: 200,
    maxBodyBytes: 1024 * 1024,
  },
} as const;

export type LimitName = Exclude<keyof typeof LIMITS, 'gateway'>;
