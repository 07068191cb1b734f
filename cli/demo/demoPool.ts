/**
 * The pools `ensemble demo` runs on: the embedded default pool (real instruct models, fetched on
 * first use into the user's own models folder, so the demo and `npm start` share one download), or,
 * when those cannot be had, three tiny models generated on the spot that load and run in real
 * llama.cpp but always favour one intent each: they show the loop working, not classification.
 */
import path from 'node:path';
import type { PoolConfigInput } from '../../protocol/config';
import { defaultPoolConfig } from '../../common/defaultPool';
import { writeClassifierPool } from '../../daemon/gguf/tinyModels';

export const DEMO_ENSEMBLE = 'demo';
const INSTRUCTION = 'Classify this message a customer sent to their bank into exactly one of the intents.';

/** The default pool's models, their GGUF files kept in `modelsDir` (the user's ~/.ensemble/models). */
export function realPoolConfig(labels: readonly string[], modelsDir: string): PoolConfigInput {
  const models = (defaultPoolConfig.models ?? []).map((m) =>
    m.backend === 'llama.cpp' && m.path !== undefined && !path.isAbsolute(m.path) ? { ...m, path: path.join(modelsDir, m.path) } : m,
  );
  return {
    models,
    ensembles: demoEnsemble(
      models.map((m) => m.id),
      labels,
    ),
  };
}

function demoEnsemble(members: string[], labels: readonly string[]): PoolConfigInput['ensembles'] {
  return { [DEMO_ENSEMBLE]: { members, strategy: 'majority', labels: [...labels], instruction: INSTRUCTION } };
}

/** Three generated label models of different shapes, each favouring one of the first three labels. */
export function toyPoolConfig(labels: readonly string[], modelsDir: string): PoolConfigInput {
  const pool = writeClassifierPool(modelsDir, { labels, favors: labels.slice(0, 3) });
  const models = pool.map((m) => ({
    id: m.id,
    backend: 'llama.cpp' as const,
    path: m.path,
    threads: 1,
    contextSize: 256,
    description: `toy model: always favours ${m.favors}`,
  }));
  return {
    models,
    ensembles: demoEnsemble(
      models.map((m) => m.id),
      labels,
    ),
  };
}
