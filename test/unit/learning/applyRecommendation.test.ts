/** `ensemble eval --apply`: the recommended strategy lands in config.json, every other setting kept. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyRecommendation, withRecommendation } from '../../../cli/applyRecommendation';
import type { Recommendation } from '../../../daemon/learning/evaluate';

const rec = (kind: 'single' | 'ensemble', strategy: 'routed' | 'majority', members: string[]): Recommendation => ({
  kind,
  members,
  strategy: kind === 'single' ? null : strategy,
  expectedAccuracy: 0.5,
  callsPerItem: 1.2,
  gainOverBestSingle: 0.03,
  gainStandardError: 0.005,
  bestStrategy: null,
  text: '',
  config: { ensembles: { default: { members, strategy } } },
  needsFit: strategy === 'routed',
});

const config = {
  models: [
    { id: 'a', backend: 'ollama', model: 'a' },
    { id: 'b', backend: 'ollama', model: 'b' },
  ],
  ensembles: {
    default: { members: [{ model: 'a', promptStyle: 'stepByStep' }, 'b'], strategy: 'majority', deadlineMs: 5000 },
    other: { members: ['a'] },
  },
  daemon: { recalibrationWindow: 50 },
};

describe('withRecommendation', () => {
  it('an existing ensemble keeps its members and settings, and gets the strategy', () => {
    const out = withRecommendation(config, rec('ensemble', 'routed', ['a', 'b']), 'default') as typeof config;
    assert.deepEqual(out.ensembles.default, {
      members: [{ model: 'a', promptStyle: 'stepByStep' }, 'b'],
      strategy: 'routed',
      deadlineMs: 5000,
    });
    assert.deepEqual(out.ensembles.other, config.ensembles.other);
    assert.deepEqual(out.daemon, config.daemon);
    assert.deepEqual(out.models, config.models);
  });

  it('one model alone: the members become that model', () => {
    const out = withRecommendation(config, rec('single', 'majority', ['b']), 'default') as typeof config;
    assert.deepEqual(out.ensembles.default.members, ['b']);
  });
});

describe('applyRecommendation', () => {
  const home = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-apply-'));

  it('writes valid JSON atomically and leaves no temporary file', () => {
    const dir = home();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    applyRecommendation(file, rec('ensemble', 'routed', ['a', 'b']), 'default');
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof config;
    assert.equal(written.ensembles.default.strategy, 'routed');
    assert.equal(written.daemon.recalibrationWindow, 50);
    assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  });

  it('refuses to write a config that would not validate, and changes nothing', () => {
    const dir = home();
    const file = path.join(dir, 'config.json');
    const broken = JSON.stringify({ ...config, daemon: { recalibrationWindow: 'often' } });
    fs.writeFileSync(file, broken);
    assert.throws(
      () => applyRecommendation(file, rec('ensemble', 'routed', ['a', 'b']), 'default'),
      /would not be a valid config.*recalibrationWindow/,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
  });

  it('a missing or unreadable config is a clear error', () => {
    const dir = home();
    assert.throws(
      () => applyRecommendation(path.join(dir, 'config.json'), rec('ensemble', 'routed', ['a']), 'default'),
      /cannot read .*config\.json/,
    );
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json');
    assert.throws(() => applyRecommendation(path.join(dir, 'config.json'), rec('ensemble', 'routed', ['a']), 'default'), /not valid JSON/);
  });
});
