/**
 * Writes schemas/config.schema.json from the zod schema in protocol/config.ts (zod 4's own
 * toJSONSchema), so editors validate config.json with the very rules the daemon applies.
 * `--check` fails when the committed file is out of date (run in the tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PoolConfig } from '../protocol/config';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(PoolConfig, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Ensemble pool config (ENSEMBLE_HOME/config.json)' }, null, 2)}\n`;
}

const target = path.join(import.meta.dirname, '..', 'schemas', 'config.schema.json');
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const text = configJsonSchema();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${target} is out of date: run "npm run schema"\n`);
      process.exit(1);
    }
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  }
}
