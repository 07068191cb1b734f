/**
 * What the fusion judge is shown, and how its choice is read back. Panel answers are cut to a
 * bound first (the judge's context is small, and one rambling member must not crowd out the
 * others), numbered in panel order without member names (so the judge cannot favour a name), and
 * put into the template in one pass: text from a member that happens to contain "{answers}" is
 * never substituted again.
 */
import { DEFAULT_JUDGE_TEMPLATE, type JudgeMode } from '../../protocol/generation';

export interface ShownAnswer {
  member: string;
  text: string;
}

const CUT_MARK = ' [...]';

export function boundAnswer(text: string, maxChars: number): string {
  const t = text.trim();
  return t.length <= maxChars ? t : t.slice(0, Math.max(0, maxChars - CUT_MARK.length)) + CUT_MARK;
}

export function judgePrompt(template: string | undefined, mode: JudgeMode, prompt: string, shown: readonly ShownAnswer[]): string {
  const answers = shown.map((a, i) => `Answer ${i + 1}:\n${a.text}`).join('\n\n');
  return (template ?? DEFAULT_JUDGE_TEMPLATE[mode]).replace(/\{(prompt|answers)\}/g, (_, key: string) =>
    key === 'prompt' ? prompt : answers,
  );
}

/** select: the first whole number in the judge's reply, as a 0-based index into `count` answers; null if none fits. */
export function selectedIndex(reply: string, count: number): number | null {
  const m = /\d{1,6}/.exec(reply);
  if (!m) return null;
  const n = Number(m[0]);
  return n >= 1 && n <= count ? n - 1 : null;
}
