/**
 * daemon/process/v8Tiering.ts: which V8 flags the daemon sets, that this runtime's V8 knows each of
 * them (an unknown one would only print an error and leave tiering as it was), and that flags the
 * operator gave win. test/integration/runtimes.test.ts checks the same under Node 22 and 24.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { tuneV8Tiering, v8TieringFlags } from '../../daemon/process/v8Tiering';

describe('V8 tiering flags', () => {
  it('V8 11 gets a smaller bytecode budget, V8 12 and later a smaller call count; both compile baseline code at once', () => {
    assert.deepEqual(v8TieringFlags('11.3.244.8-node.38'), ['--always-sparkplug', '--interrupt-budget=16896']);
    assert.deepEqual(v8TieringFlags('12.4.254.21-node.24'), ['--always-sparkplug', '--invocation-count-for-turbofan=750']);
    assert.deepEqual(v8TieringFlags('13.6.233.10-node.28'), ['--always-sparkplug', '--invocation-count-for-turbofan=750']);
  });

  it("this runtime's V8 knows every flag it is given", () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    for (const flag of v8TieringFlags(process.versions.v8)) {
      const name = flag.split('=')[0]!;
      assert.match(known, new RegExp(`^\\s+${name} `, 'm'), `${name} in ${process.version}'s --v8-options`);
    }
  });

  it('leaves alone a flag the operator set, in any spelling', () => {
    const mine = v8TieringFlags(process.versions.v8)[1]!.split('=')[0]!;
    const spelled = `${mine.replaceAll('-', '_').replace(/^__/, '--')}=99999`;
    assert.deepEqual(tuneV8Tiering(['--no-always-sparkplug', spelled]), []);
    assert.deepEqual(tuneV8Tiering(['--max-old-space-size=512']), v8TieringFlags(process.versions.v8));
  });
});
