/**
 * Messages between the extension and the inspector webview, declared once and validated with zod
 * on both sides (the webview is a browser page: anything can arrive in its message port, and the
 * extension must not trust what a webview posts either). The webview never talks to the daemon:
 * the extension relays daemon data as these typed messages.
 */
import { z } from 'zod';
import { Decision, Vote } from './ensemble';
import { PoolStatus } from './methods';
import { RefineTokenDelta, TaskView } from './taskViews';

/** The extension's connection to the daemon, as the status bar and the inspector show it. */
export const ConnectionState = z.enum(['stopped', 'starting', 'connected', 'reconnecting', 'gaveUp']);
export type ConnectionState = z.infer<typeof ConnectionState>;

/** A decision with what only the extension knows: the classified text (the daemon keeps its hash). */
export const DecisionView = z.object({
  decision: Decision,
  /** Start of the classified text, for the inspector's heading (shown as text, never as HTML). */
  textPreview: z.string().max(400).optional(),
  /** Feedback the user already gave in this session. */
  feedback: z.object({ correct: z.boolean().optional(), label: z.string().optional() }).optional(),
});
export type DecisionView = z.infer<typeof DecisionView>;

/** A member of the ensemble a running request asked, before its vote arrives. */
export const PendingMember = z.object({ member: z.string(), model: z.string(), promptStyle: z.string() });

/** A classification in flight: votes so far, shown live in the inspector. */
export const PendingDecision = z.object({
  /** The daemon's decision id (the id the final decision will have). */
  decisionId: z.string(),
  ensemble: z.string().optional(),
  labels: z.array(z.string()),
  members: z.array(PendingMember),
  votes: z.array(Vote),
  done: z.number().int(),
  total: z.number().int(),
  textPreview: z.string().max(400).optional(),
});
export type PendingDecision = z.infer<typeof PendingDecision>;

/** Extension -> webview. */
export const ToWebview = z.discriminatedUnion('type', [
  /** Everything at once: on `ready` and after a reconnect. */
  z.object({
    type: z.literal('init'),
    connection: ConnectionState,
    pool: PoolStatus.nullable(),
    decisions: z.array(DecisionView),
    pending: z.array(PendingDecision),
    focus: z.string().nullable(),
    /** Refinements, extractions and answers of this window, newest first. */
    tasks: z.array(TaskView).default([]),
  }),
  /** A task started, moved on or finished: replaces the view with that id. */
  z.object({ type: z.literal('task'), task: TaskView, focus: z.boolean() }),
  /** A refinement step generated more text. */
  z.object({ type: z.literal('refineToken'), delta: RefineTokenDelta }),
  /** A vote arrived for a running request (created the pending entry on first sight). */
  z.object({ type: z.literal('pending'), pending: PendingDecision }),
  /** A request finished: the pending entry (if any) becomes this decision, and it is focused. */
  z.object({ type: z.literal('decision'), view: DecisionView, focus: z.boolean() }),
  /** A request failed or was cancelled: drop its pending entry. */
  z.object({ type: z.literal('pendingFailed'), decisionId: z.string(), message: z.string() }),
  z.object({ type: z.literal('pool'), pool: PoolStatus.nullable() }),
  z.object({ type: z.literal('connection'), connection: ConnectionState }),
  z.object({ type: z.literal('focus'), decisionId: z.string() }),
  z.object({
    type: z.literal('feedbackResult'),
    decisionId: z.string(),
    ok: z.boolean(),
    message: z.string(),
    feedback: DecisionView.shape.feedback,
  }),
]);
export type ToWebview = z.infer<typeof ToWebview>;

/** Webview -> extension. */
export const FromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** "right" (correct: true), "wrong" (correct: false), or the right label picked from the list. */
  z.object({
    type: z.literal('feedback'),
    decisionId: z.string().max(200),
    correct: z.boolean().optional(),
    label: z.string().max(200).optional(),
  }),
  z.object({ type: z.literal('refresh') }),
  z.object({ type: z.literal('showPoolStatus') }),
  z.object({ type: z.literal('openConfig') }),
]);
export type FromWebview = z.infer<typeof FromWebview>;

/** What the webview keeps with setState, so a hidden/restored panel shows the same thing at once. */
export const WebviewState = z.object({
  focus: z.string().nullable(),
  decisions: z.array(DecisionView),
  pool: PoolStatus.nullable(),
  openSections: z.array(z.string()).default([]),
});
export type WebviewState = z.infer<typeof WebviewState>;
