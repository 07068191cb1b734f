/**
 * Which model each id named when the daemon last saw it, kept across restarts in
 * `<home>/model-identities.json`, so a member replaced in config.json (while the daemon runs, or
 * while it was stopped) starts afresh: from the moment of the replacement, the feedback, calibration
 * and fitted weights learned by the model that had this id before are not applied to it.
 *
 * The file holds, per id, the entry last seen and `freshSince` (ms since the epoch, or null when the
 * id never changed model). The decision (same model or not) is memberIdentity.ts's; this only
 * remembers. A missing or unreadable file is a fresh start (nothing is reset; the log says so).
 */
import fs from 'node:fs';
import { z } from 'zod';
import { ModelEntry } from '../../protocol/config';
import { replacedModels } from './memberIdentity';
import { own } from '../../common/ownProperty';

const LedgerRow = z.object({ entry: z.unknown(), freshSince: z.number().nullable() });
const LedgerFile = z.record(z.string(), LedgerRow);
type LedgerFile = z.infer<typeof LedgerFile>;

export interface Reconciled {
  ledger: LedgerFile;
  /** Ids whose model changed now, and why (for the log). */
  replaced: Array<{ id: string; reason: string }>;
  /** Per id, since when its learned state counts (only ids that ever changed model). */
  freshSince: Map<string, number>;
}

/** Pure: the ledger after seeing `models` at `now`. Ids gone from the config are kept (they may come back). */
export function reconcile(previous: LedgerFile, models: readonly ModelEntry[], now: number): Reconciled {
  const before: ModelEntry[] = [];
  for (const [, row] of Object.entries(previous)) {
    const parsed = ModelEntry.safeParse(row.entry);
    if (parsed.success) before.push(parsed.data);
  }
  const replaced = replacedModels({ models: before }, { models: [...models] });
  const changed = new Set(replaced.map((r) => r.id));
  const ledger: LedgerFile = { ...previous };
  for (const m of models) ledger[m.id] = { entry: m, freshSince: changed.has(m.id) ? now : (own(previous, m.id)?.freshSince ?? null) };
  const freshSince = new Map<string, number>();
  for (const m of models) {
    const since = own(ledger, m.id)?.freshSince;
    if (since !== null && since !== undefined) freshSince.set(m.id, since);
  }
  return { ledger, replaced, freshSince };
}

/** Reads the ledger; a missing file is empty, an unreadable one is reported through `onBad` and treated as empty. */
export function readLedger(file: string, onBad: (why: string) => void): LedgerFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = LedgerFile.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    onBad(`${file}: ${parsed.error.issues[0]?.message ?? 'not a model ledger'}`);
  } catch (e) {
    onBad(`${file}: ${(e as Error).message}`);
  }
  return {};
}

/** Writes the ledger whole (write to a temporary file, then rename: a crash leaves the old or the new one). */
export function writeLedger(file: string, ledger: LedgerFile): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(ledger, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
