/**
 * The extension's pool view follows `pool/changed` instead of reading the status after every
 * decision: the extension's own PoolTracker on a real daemon connection, classifications on another
 * connection, and the daemon's count of `pool/status` requests (`statusReads`). The view's request
 * counters must reach the number of decisions while the reads stay the same for 3 decisions and for
 * 12; a config reload (which can change anything) costs exactly one read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import { PoolTracker } from '../../extension/daemon/poolTracker';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { until } from '../support/until';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

describe('pool/changed carries what changed: no status read per decision', { timeout: 180_000 }, () => {
  let daemon: TestDaemon;
  let member: FakeOpenAiServer;
  let extensionSide: DaemonConnection;
  let other: DaemonConnection;
  let tracker: PoolTracker;

  before(async () => {
    const home = tempHome();
    member = (await startOpenAiServer()).script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
    writeConfig(home, {
      models: [{ id: 'm', backend: 'openai', baseUrl: member.baseUrl, model: 'test-model' }],
      ensembles: { default: { members: ['m'], strategy: 'majority', labels: LABELS } },
    });
    daemon = await startTestDaemon(home);
    extensionSide = await daemon.connect();
    other = await daemon.connect();
    tracker = new PoolTracker(extensionSide.rpc, () => {}, { debug: () => {}, warn: () => {} });
    await tracker.refresh();
  });
  after(async () => {
    tracker?.close();
    extensionSide?.close();
    other?.close();
    await daemon?.stop();
    await member?.close();
  });

  /** `pool/status` requests the daemon has served so far, not counting the one that asks. */
  const readsSoFar = async () => ((await other.rpc.request('pool/status', {})).statusReads ?? Number.NaN) - 1;
  const requestsInView = () => tracker.current?.models.find((m) => m.id === 'm')?.requests ?? 0;

  async function classify(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await other.rpc.request('ensemble/classify', { text: `ticket ${i}: the app crashes on save` });
  }

  it('the view follows decisions from the changes alone; status reads do not grow with the decisions', async () => {
    const atStart = await readsSoFar();
    assert.ok(atStart >= 1, 'the tracker read the status once when it started');

    await classify(3);
    await until('the view counting 3 requests', async () => (requestsInView() >= 3 ? true : undefined), 30_000);
    const afterThree = await readsSoFar();

    await classify(12);
    await until('the view counting 15 requests', async () => (requestsInView() >= 15 ? true : undefined), 30_000);
    const afterFifteen = await readsSoFar();

    // Only this test's own checks read the status: one per check, none per decision.
    assert.equal(afterThree - atStart, 1, `reads during 3 decisions: ${afterThree - atStart}`);
    assert.equal(afterFifteen - afterThree, 1, `reads during 12 decisions: ${afterFifteen - afterThree}`);
    assert.equal(requestsInView(), 15);
    assert.ok(tracker.current?.eventLoop, 'the stats change brought the loop delay too');
  });

  it('a config reload makes the view read the status once', async () => {
    const before = await readsSoFar();
    await other.rpc.request('config/reload', {});
    // Wait on the view alone (no reads of ours): its status is fresh once it counts reads past ours.
    await until(
      'the view reading the status again',
      async () => ((tracker.current?.statusReads ?? 0) > before + 1 ? true : undefined),
      30_000,
    );
    assert.equal(await readsSoFar(), before + 2, 'our read before the reload, and one by the view');
  });
});
