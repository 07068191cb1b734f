/** The labelled messages `ensemble demo` records: the BANKING77 sample shipped in data/banking77/. */
import fs from 'node:fs';
import path from 'node:path';
import { readDataset } from '../commands/record';
import { CliError } from '../connect';

const SAMPLE = path.join('data', 'banking77', 'sample.jsonl');

export type DemoItem = ReturnType<typeof readDataset>[number];

/**
 * The shipped sample, found from wherever this code runs (cli/demo/ under tsx, dist/ when
 * bundled): the nearest folder above that holds data/banking77/sample.jsonl.
 */
export function findSample(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, SAMPLE);
    if (fs.existsSync(file)) return file;
    if (path.dirname(dir) === dir) {
      const why = `the demo's data (${SAMPLE}) is not beside this ensemble (${from})`;
      throw new CliError(`${why}: run the demo from a clone of the repository, or give --data FILE`, 1);
    }
  }
}

/**
 * `count` items spread evenly over the labels (one of each label in turn, in the file's order), so
 * a short demo still sees every intent; every item when `count` is at least the file's size.
 */
export function pickItems(items: readonly DemoItem[], count: number): DemoItem[] {
  const byLabel = new Map<string, DemoItem[]>();
  for (const item of items) byLabel.set(item.label, [...(byLabel.get(item.label) ?? []), item]);
  const queues = [...byLabel.values()];
  const picked: DemoItem[] = [];
  for (let round = 0; picked.length < Math.min(count, items.length); round++) {
    for (const q of queues) if (q[round] && picked.length < count) picked.push(q[round]!);
  }
  return picked;
}

export function writeJsonl(file: string, items: readonly DemoItem[]): void {
  fs.writeFileSync(file, items.map((i) => `${JSON.stringify(i)}\n`).join(''));
}
