/**
 * `ensemble eval --apply`: writes the recommended strategy (and members) into config.json, keeping
 * every other setting, validated against the config schema, written atomically (a temporary file
 * renamed over the old one) so the daemon's config watcher never reads half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PoolConfig } from '../protocol/config';
import type { Recommendation } from '../daemon/learning/evaluate';
import { CliError } from './connect';

/** The config with the recommendation applied to ensemble `name` (pure). */
export function withRecommendation(config: Record<string, unknown>, rec: Recommendation, name: string): Record<string, unknown> {
  const snippet = rec.config.ensembles[name];
  if (!snippet) throw new CliError(`the recommendation has no entry for ensemble "${name}"`, 1);
  const ensembles = (typeof config.ensembles === 'object' && config.ensembles !== null ? config.ensembles : {}) as Record<
    string,
    Record<string, unknown>
  >;
  const existing = ensembles[name] ?? {};
  // An existing ensemble keeps its members (and their prompt styles and weights) unless one model alone is recommended.
  const members = rec.kind === 'single' || existing.members === undefined ? snippet.members : existing.members;
  return { ...config, ensembles: { ...ensembles, [name]: { ...existing, members, strategy: snippet.strategy } } };
}

export function applyRecommendation(configPath: string, rec: Recommendation, name: string): void {
  let raw: string;
  try {
    raw = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new CliError(
      `--apply: cannot read ${configPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); create it first (the daemon writes none), then apply`,
      1,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new CliError(`--apply: ${configPath} is not valid JSON (${(e as Error).message}); nothing written`, 1);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`--apply: ${configPath}: expected a JSON object; nothing written`, 1);
  const next = withRecommendation(parsed as Record<string, unknown>, rec, name);
  const check = PoolConfig.safeParse(next);
  if (!check.success) {
    const why = check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new CliError(`--apply: the result would not be a valid config (${why}); nothing written. Paste the snippet by hand instead.`, 1);
  }
  const tmp = path.join(path.dirname(configPath), `.${path.basename(configPath)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: fs.statSync(configPath).mode & 0o777 });
    fs.renameSync(tmp, configPath);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CliError(`--apply: cannot write ${configPath}: ${(e as Error).message}`, 1);
  }
}
