/**
 * Reading ENSEMBLE_HOME/config.json: JSON syntax, the zod schema, then cross-references (member ids,
 * duplicate ids, the default ensemble). Returns a tagged result instead of throwing, so the daemon
 * can keep its last good config and report the error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EnsembleSpec, PoolConfig } from '../../protocol/config';
import type { HomePaths } from '../../common/node/home';
import { formatIssues, formatJsonSyntaxError } from './configErrors';
import { defaultPoolConfig } from '../../common/defaultPool';
import { RESERVED_NAME } from '../../protocol/safeName';

export interface LoadedConfig {
  config: PoolConfig;
  /** `file` when read from config.json, `embedded` when the file does not exist. */
  source: 'file' | 'embedded';
  path: string;
  defaultEnsemble: string;
}

export type LoadResult = { ok: true; value: LoadedConfig } | { ok: false; error: string };

export function loadConfig(paths: HomePaths): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(paths.config, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return parseConfig(defaultPoolConfig, paths, 'embedded');
    return { ok: false, error: `${paths.config}: cannot read: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: formatJsonSyntaxError(paths.config, text, e) };
  }
  return parseConfig(json, paths, 'file');
}

export function parseConfig(json: unknown, paths: HomePaths, source: LoadedConfig['source']): LoadResult {
  const file = source === 'file' ? paths.config : '(embedded default config)';
  const parsed = PoolConfig.safeParse(json);
  if (!parsed.success) return { ok: false, error: formatIssues(file, parsed.error.issues, json) };
  const config = parsed.data;
  const problems: string[] = [];
  // zod skips a "__proto__" key without a word: the ensemble would vanish, so say so here.
  const rawEnsembles = (json as { ensembles?: unknown } | null)?.ensembles;
  if (typeof rawEnsembles === 'object' && rawEnsembles !== null && Object.hasOwn(rawEnsembles, RESERVED_NAME))
    problems.push(`${file}: ensembles.${RESERVED_NAME}: "${RESERVED_NAME}" is reserved (it cannot be a key): choose another name`);

  const seen = new Set<string>();
  config.models.forEach((m, i) => {
    if (seen.has(m.id)) problems.push(`${file}: models[${i}].id: duplicate model id "${m.id}"`);
    seen.add(m.id);
    // A model with only a `url` is fetched on first use into models/, named after the URL's file.
    if (m.backend === 'llama.cpp' && m.path === undefined && m.url !== undefined) m.path = fileNameOf(m.url, m.id);
    if (m.backend === 'llama.cpp' && m.path !== undefined && !path.isAbsolute(m.path)) {
      m.path = path.join(paths.models, m.path);
    }
    if (m.backend === 'llama.cpp' && m.lora) {
      if (!path.isAbsolute(m.lora.path)) m.lora.path = path.join(paths.models, m.lora.path);
      if (m.lora.path === m.path)
        problems.push(`${file}: models[${i}].lora.path: the adapter is the base model's own file (expected a LoRA adapter GGUF)`);
    }
  });

  if (Object.keys(config.ensembles).length === 0 && config.models.length > 0) {
    config.ensembles.default = defaultEnsembleOf(config.models.map((m) => m.id));
  }
  for (const [name, spec] of Object.entries(config.ensembles)) {
    spec.members.forEach((member, i) => {
      const id = typeof member === 'string' ? member : member.model;
      if (!seen.has(id)) {
        problems.push(`${file}: ensembles.${name}.members[${i}]: no model with id "${id}" (known: ${[...seen].join(', ') || 'none'})`);
      }
    });
    const labels = spec.labels ?? [];
    if (new Set(labels).size !== labels.length) problems.push(`${file}: ensembles.${name}.labels: labels must be distinct`);
  }

  const names = Object.keys(config.ensembles);
  const defaultEnsemble = config.defaultEnsemble ?? (names.includes('default') ? 'default' : (names[0] ?? 'default'));
  if (config.defaultEnsemble !== undefined && !names.includes(config.defaultEnsemble)) {
    problems.push(`${file}: defaultEnsemble: no ensemble named "${config.defaultEnsemble}" (known: ${names.join(', ') || 'none'})`);
  }
  if (problems.length) return { ok: false, error: problems.join('\n') };
  return { ok: true, value: { config, source, path: paths.config, defaultEnsemble } };
}

/** Every model as a member, majority voting: what a config without ensembles gets. */
function defaultEnsembleOf(ids: string[]): EnsembleSpec {
  return EnsembleSpec.parse({ members: ids });
}

/** The file name a download from `url` is kept under: the URL's last path segment when it is a plain `.gguf` name. */
function fileNameOf(url: string, id: string): string {
  try {
    const name = path.posix.basename(decodeURIComponent(new URL(url).pathname));
    if (/^[\w.+-]+\.gguf$/i.test(name) && !name.startsWith('.')) return name;
  } catch {
    // malformed percent-encoding: fall through
  }
  return `${id}.gguf`;
}
