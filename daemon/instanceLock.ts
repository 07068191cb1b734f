/**
 * One daemon per ENSEMBLE_HOME. Two clients may start a daemon at the same moment (the extension
 * and a terminal); an exclusively created lock file holding the pid decides which one serves. A
 * lock whose process is gone is stale and taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../client/daemonClient';
import { EnsembleError } from '../protocol/errors';

export function acquireInstanceLock(home: string): () => void {
  const file = path.join(home, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new EnsembleError('BadInput', `a daemon already runs or is starting for ${home} (pid ${holder}); stop it with "ensemble stop"`);
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new EnsembleError('BadInput', `cannot take the daemon lock ${file}`);
}
