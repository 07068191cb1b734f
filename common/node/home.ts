/** Where the daemon keeps its state: `ENSEMBLE_HOME`, default `~/.ensemble`. */
import os from 'node:os';
import path from 'node:path';
import { CONFIG_FILE_NAME, DAEMON_FILE_NAME } from '../../protocol/daemonFile';

export function ensembleHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ENSEMBLE_HOME?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(os.homedir(), '.ensemble');
}

export function homePaths(home: string = ensembleHome()) {
  return {
    home,
    config: path.join(home, CONFIG_FILE_NAME),
    daemonFile: path.join(home, DAEMON_FILE_NAME),
    models: path.join(home, 'models'),
    database: path.join(home, 'ensemble.db'),
    log: path.join(home, 'daemon.log'),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;
