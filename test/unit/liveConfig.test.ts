/**
 * daemon/config/liveConfig.ts: the config in force. A reload that fails keeps the last good config
 * (and says why, for status); one that loads is handed to `apply` with the ids that now name
 * another model; an ensemble a request names is found or refused naming the known ones.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { homePaths } from '../../common/node/home';
import { LiveConfig } from '../../daemon/config/liveConfig';
import { Logger } from '../../daemon/process/log';
import type { ChangeHint } from '../../daemon/pool/changeHint';
import { EnsembleError } from '../../protocol/errors';

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

function config(model: string) {
  return {
    models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model }],
    ensembles: { one: { members: ['m'], labels: ['bug', 'feature'] } },
    defaultEnsemble: 'one',
  };
}

function live() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'liveconfig-'));
  homes.push(home);
  const paths = homePaths(home);
  const applied: Array<{ model: string; fresh: string[] }> = [];
  const hints: ChangeHint[] = [];
  const lc = new LiveConfig({
    paths,
    logger: new Logger('error', () => {}),
    onChange: (h) => hints.push(h),
    apply: (loaded, freshSince) => {
      const m = loaded.config.models[0];
      applied.push({ model: m?.backend === 'openai' ? m.model : '?', fresh: [...freshSince.keys()] });
    },
  });
  const write = (value: unknown) => fs.writeFileSync(paths.config, typeof value === 'string' ? value : JSON.stringify(value));
  return { lc, applied, hints, write };
}

describe('the live config', () => {
  it('applies a config that loads, and keeps it in force when the next one does not', () => {
    const { lc, applied, hints, write } = live();
    write(config('a'));
    assert.deepEqual(lc.reload(), { ok: true, error: null });
    assert.equal(lc.ensemble(undefined).name, 'one');
    write('{ not json');
    const failed = lc.reload();
    assert.equal(failed.ok, false);
    assert.equal(lc.error, failed.error);
    assert.equal(applied.length, 1, 'a config that does not load is not applied');
    assert.deepEqual(
      lc.ensemble('one').members.map((m) => m.model),
      ['m'],
      'the last good config is still in force',
    );
    assert.deepEqual(
      hints.map((h) => h.reason),
      ['config reloaded', 'config error'],
    );
  });

  it('tells apply which ids now name another model', () => {
    const { lc, applied, write } = live();
    write(config('a'));
    lc.reload();
    write(config('b'));
    lc.reload();
    assert.deepEqual(applied, [
      { model: 'a', fresh: [] },
      { model: 'b', fresh: ['m'] },
    ]);
  });

  it('refuses an unknown ensemble naming the known ones, and any ensemble before a config loaded', () => {
    const { lc, write } = live();
    write('{ not json');
    lc.reload();
    assert.throws(
      () => lc.ensemble(undefined),
      (e: unknown) => e instanceof EnsembleError && e.kind === 'ConfigInvalid',
    );
    write(config('a'));
    lc.reload();
    assert.throws(
      () => lc.ensemble('two'),
      (e: unknown) => e instanceof EnsembleError && e.kind === 'EnsembleNotFound' && /known: one/.test(e.message),
    );
  });
});
