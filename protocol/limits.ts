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
  /**
   * The HTTP listener every client reaches first (the gateway's requests and the WebSocket
   * upgrades): a client that sends its headers or body slowly, or opens sockets without end, is cut
   * off instead of holding the daemon's memory and file descriptors (slowloris).
   */
  http: {
    /** Sockets the listener holds at once, upgraded WebSockets included; more are closed on accept. */
    maxSockets: 256,
    /** A request's headers (a WebSocket upgrade's too) must arrive within this long. */
    headersTimeoutMs: 10_000,
    /** A whole request, headers and body, must arrive within this long (the reply may take longer). */
    requestTimeoutMs: 30_000,
    /** An idle keep-alive socket is closed after this long. */
    keepAliveTimeoutMs: 5_000,
    /** A WebSocket client must send `initialize` within this long, or it is closed (1008) and its slot freed. */
    initializeTimeoutMs: 10_000,
  },
  /** The OpenAI-style HTTP gateway's request bounds: a request over one is refused before any model runs. */
  gateway: {
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
  },
} as const;

export type LimitName = Exclude<keyof typeof LIMITS, 'gateway' | 'http'>;
