/**
 * The daemon's inner rooms, as eslint.config.mjs enforces them (eslint-plugin-boundaries): each
 * forbidden import below is reported, and each allowed one is not, so a rule that stops firing (a
 * folder renamed, an element pattern that no longer matches) fails here rather than passing quietly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

/** Boundary messages ESLint gives `source` as if it were the file `file` (the file need not exist). */
async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

const cases: [string, string, string, boolean][] = [
  ['the store may not import learning/', 'daemon/store/probe.ts', "import { fitAggregation } from '../learning/fitAggregation';", false],
  ['the store may not import strategies/', 'daemon/store/probe.ts', "import { plurality } from '../strategies/tally';", false],
  ['the store may not import the process room', 'daemon/store/probe.ts', "import { Logger } from '../process/log';", false],
  [
    'the store may import protocol/ and common/',
    'daemon/store/probe.ts',
    "import { LIMITS } from '../../protocol/limits';\nimport { own } from '../../common/ownProperty';",
    true,
  ],
  ['orchestration may not import learning/', 'daemon/ensemble/probe.ts', "import { Adaptation } from '../learning/adaptation';", false],
  ['learning may not import orchestration', 'daemon/learning/probe.ts', "import { callMember } from '../ensemble/callMember';", false],
  ['both may import strategies/', 'daemon/learning/probe.ts', "import { buildVoteTable } from '../strategies/voteTable';", true],
  ['backends read GGUF through gguf/', 'daemon/backends/probe.ts', "import { checkGguf } from '../gguf/ggufCheck';", true],
  ['backends may not import learning/', 'daemon/backends/probe.ts', "import { Adaptation } from '../learning/adaptation';", false],
  ['gguf/ imports nothing of the daemon', 'daemon/gguf/probe.ts', "import { Logger } from '../process/log';", false],
];

describe('layout rules for the daemon inner rooms', () => {
  for (const [name, file, source, allowed] of cases)
    it(name, async () => {
      const errors = await boundaryErrors(file, `${source}\nexport const probe = 1;\n`);
      if (allowed) assert.deepEqual(errors, []);
      else assert.equal(errors.length, source.split('\n').length, `expected a boundary error for: ${source}`);
    });
});
