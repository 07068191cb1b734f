/**
 * ENSEMBLE_HOME holds the daemon's token (daemon.json), the decisions it recorded, its log and
 * config: it is the user's alone. On start the daemon makes the folder 0700 and every file in it
 * 0600 (folders 0700), fixing a home made by an older version or under a loose umask, and sets its
 * own umask so whatever it creates later (the database's WAL files, rotated logs) is born private.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Makes `home` and what it holds private; returns the paths whose mode it changed (for the log). */
export function makeHomePrivate(home: string, maxDepth = 3): string[] {
  process.umask(0o077);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const fixed: string[] = [];
  const fix = (p: string, mode: number) => {
    const st = fs.lstatSync(p);
    if ((st.mode & 0o777) !== mode) {
      fs.chmodSync(p, mode);
      fixed.push(p);
    }
  };
  const walk = (dir: string, depth: number) => {
    fix(dir, 0o700);
    if (depth >= maxDepth) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      try {
        // Symlinks are left alone: what they point to is not ours to change.
        if (entry.isDirectory()) walk(p, depth + 1);
        else if (entry.isFile()) fix(p, 0o600);
      } catch {
        // a file that vanished or that we do not own: the daemon still starts
      }
    }
  };
  walk(home, 0);
  return fixed;
}
