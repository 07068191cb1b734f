/**
 * Outside text in notifications: no live links. The oracle is VS Code's own link syntax for
 * notification messages (src/vs/base/common/linkedText.ts, copied here as the test's reference):
 * after plainText, it finds no link in any hostile message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EnsembleError } from '../../../protocol/errors';
import { describeError } from '../../../extension/errorMessages';
import { plainText } from '../../../extension/plainText';

const VSCODE_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const links = (s: string) => [...s.matchAll(VSCODE_LINK)].map((m) => m[2]);

const HOSTILE = [
  '[Open settings](command:workbench.action.openSettings)',
  'failed: [click here](command:ensemble.stopDaemon?%5B%5D "harmless")',
  '[x](https://evil.example/steal)',
  '[a]]x[b](command:x)',
  '[[nested](command:a)](command:b)',
  '[x](file:///etc/passwd)',
];

describe('plainText', () => {
  it('the reference finds the links in the raw messages (so the test can fail)', () => {
    for (const m of HOSTILE) assert.ok(links(m).length > 0, m);
  });

  it('leaves no link VS Code would render, and keeps the words', () => {
    for (const m of HOSTILE) {
      const shown = plainText(m);
      assert.deepEqual(links(shown), [], shown);
      assert.equal(shown.replaceAll(' ', ''), m.replaceAll(' ', ''));
    }
    assert.equal(plainText('no links here (really)'), 'no links here (really)');
  });

  it('error messages from the daemon and members are shown as plain text', () => {
    const shown = describeError(new EnsembleError('BackendError', 'the model said [Fix it](command:ensemble.stopDaemon)'));
    assert.deepEqual(links(shown.message), []);
    assert.match(shown.message, /Fix it\] \(command:/);
  });

  it('no random or adversarial text becomes a link', () => {
    const piece = fc.constantFrom('[', ']', '(', ')', ']](', 'command:', 'https://', 'file:', ' ', '"', 'x', '\n', '\\');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), fc.string({ maxLength: 200 }), (parts, s) => {
        assert.deepEqual(links(plainText(parts.join(''))), []);
        assert.deepEqual(links(plainText(s)), []);
      }),
    );
  });
});
