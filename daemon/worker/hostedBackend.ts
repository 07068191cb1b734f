/** The in-process backends a worker can host: the one place that maps a config entry to native code. */
import type { ModelEntry } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { Backend } from '../backends/backend';
import { LlamaCppBackend, llamaFor } from '../backends/llamaCpp';

export function hostedBackend(entry: ModelEntry): Backend {
  if (entry.backend === 'llama.cpp') {
    // Load the native binding now (~0.5 s), while the daemon may still be planning memory for the load.
    void llamaFor(entry).catch(() => undefined);
    return new LlamaCppBackend(entry);
  }
  throw new EnsembleError('BadInput', `model "${entry.id}": backend "${entry.backend}" does not run in a worker`);
}
