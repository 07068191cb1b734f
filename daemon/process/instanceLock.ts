/**
 * One daemon per ENSEMBLE_HOME. Two clients may start a daemon at the same moment (the extension
 * and a terminal); a lock file holding the pid, linked into place atomically, decides which one
 * serves. A lock whose process is gone is stale and taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../common/node/daemonFile';
import { EnsembleError } from '../../protocol/errors';

export function acquireInstanceLock(home: string): () => void {
  const file = path.join(home, 'daemon.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written aside, then hard-linked into place: link() fails if the lock exists, and the lock
    // never exists without its pid (a plain exclusive create would show an empty file for a moment,
    // which a racing daemon could take for stale).
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, String(process.pid), { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const holder = readHolder(file);
    if (holder !== null && holder !== process.pid && isAlive(holder)) {
      throw new EnsembleError('BadInput', `a daemon already runs or is starting for ${home} (pid ${holder}); stop it with "ensemble stop"`);
    }
    // Stale (its process is gone): remove it, unless another daemon replaced it meanwhile.
    if (readHolder(file) === holder) fs.rmSync(file, { force: true });
  }
  throw new EnsembleError('BadInput', `cannot take the daemon lock ${file}`);
}

function readHolder(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
