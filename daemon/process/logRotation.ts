/**
 * Size-based rotation of `daemon.log`. A detached daemon's stderr is that file, opened in append
 * mode by whoever started it (the CLI or the extension), so the daemon cannot reopen it: it rotates
 * by copy-and-truncate (as logrotate's `copytruncate`): daemon.log -> daemon.log.1 -> .2 -> .3,
 * then the live file is cut to 0 and, being in append mode, written from its start again. Writes
 * to a file stderr are synchronous in Node, so no line of ours falls between copy and truncate.
 * When stderr is not that file (a terminal, a pipe), nothing rotates.
 */
import fs from 'node:fs';
import { LIMITS } from '../../protocol/limits';

export interface RotationOptions {
  maxBytes?: number;
  keep?: number;
  /** The descriptor the log lines go to (default 2, stderr). */
  fd?: number;
}

/** A write function for the Logger: writes to `fd` and rotates `file` when it is that descriptor's file and grows past the bound. */
export function rotatingWriter(file: string, opts: RotationOptions = {}): (text: string) => void {
  const fd = opts.fd ?? 2;
  const maxBytes = opts.maxBytes ?? LIMITS.logRotateBytes;
  const keep = opts.keep ?? LIMITS.logKeepFiles;
  const isThatFile = sameFile(fd, file);
  // Checking the size costs an fstat: do it every few KiB written, not every line.
  const checkEvery = Math.max(1, Math.min(64 * 1024, Math.floor(maxBytes / 16)));
  let sinceCheck = 0;
  if (!isThatFile) return (text) => void process.stderr.write(text);
  return (text) => {
    try {
      fs.writeSync(fd, text);
    } catch {
      return; // a closed stderr must not take the daemon down
    }
    sinceCheck += text.length;
    if (sinceCheck < checkEvery) return;
    sinceCheck = 0;
    try {
      if (fs.fstatSync(fd).size >= maxBytes) rotate(fd, file, keep);
    } catch {
      // rotation is best effort: the log keeps being written
    }
  };
}

function sameFile(fd: number, file: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.isFile() && a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

function rotate(fd: number, file: string, keep: number): void {
  fs.rmSync(`${file}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  }
  fs.copyFileSync(file, `${file}.1`);
  fs.chmodSync(`${file}.1`, 0o600);
  fs.ftruncateSync(fd, 0);
}
