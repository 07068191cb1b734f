/** How the CLI words errors for people (cli/errorText.ts): the kind on the line, a fix for the kinds a user can fix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnsembleError, type ErrorKind } from '../../../protocol/errors';
import { formatCliError } from '../../../cli/errorText';

describe('formatCliError', () => {
  it('keeps message and kind on the first line, for scripts that match the kind', () => {
    assert.equal(formatCliError(new EnsembleError('NoVotes', 'no model answered')), 'ensemble: no model answered [NoVotes]\n');
  });

  it('adds one hint line naming the fix for each connection cause', () => {
    const fixes: Array<[ErrorKind, RegExp]> = [
      ['DaemonNotRunning', /ensemble daemon/],
      ['DaemonStartFailed', /daemon\.log/],
      ['ConnectionClosed', /run the command again/],
      ['HandshakeRefused', /ensemble stop/],
      ['ProtocolMismatch', /another version.*ensemble stop/],
      ['SqliteUnavailable', /node:sqlite.*JSONL/],
    ];
    for (const [kind, fix] of fixes) {
      const [first, hint, rest] = formatCliError(new EnsembleError(kind, 'x')).split('\n');
      assert.equal(first, `ensemble: x [${kind}]`);
      assert.match(hint ?? '', /^ {2}hint: /, kind);
      assert.match(hint ?? '', fix, kind);
      assert.equal(rest, '', 'the text ends after the hint');
    }
  });
});
