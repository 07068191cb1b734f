/**
 * extension/decisionLookup.ts: the daemon requests a code-lens click costs. A lens over a decision
 * this window holds opens it with none; a decision it does not hold (a reload) costs one history read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision } from '../../../protocol/ensemble';
import { HISTORY_LIMIT, loadUnlessHeld, type HeldDecisions, type RecentDecisionsClient } from '../../../extension/decisionLookup';
import { decisionOf as decision } from '../../support/decisions';

/** The daemon's side: answers `decisions/recent` from its history and counts every request. */
class CountingClient implements RecentDecisionsClient {
  readonly requests: { method: string; limit: number }[] = [];
  constructor(private readonly history: Decision[]) {}
  request(method: 'decisions/recent', params: { limit: number }): Promise<Decision[]> {
    this.requests.push({ method, limit: params.limit });
    return Promise.resolve(this.history.slice(0, params.limit));
  }
}

class Held implements HeldDecisions {
  readonly ids: Set<string>;
  constructor(ids: string[]) {
    this.ids = new Set(ids);
  }
  holds(id: string): boolean {
    return this.ids.has(id);
  }
  mergeRecent(decisions: readonly Decision[]): void {
    for (const d of decisions) this.ids.add(d.id);
  }
}

describe('loadUnlessHeld', () => {
  it('opens a decision the window holds without asking the daemon', async () => {
    const client = new CountingClient([decision('d1')]);
    const read = await loadUnlessHeld('d1', new Held(['d1']), client);
    assert.equal(read, false);
    assert.deepEqual(client.requests, []);
  });

  it('reads the history once for a decision the window does not hold, and then holds it', async () => {
    const client = new CountingClient([decision('d2'), decision('d1')]);
    const held = new Held([]);
    assert.equal(await loadUnlessHeld('d1', held, client), true);
    assert.deepEqual(client.requests, [{ method: 'decisions/recent', limit: HISTORY_LIMIT }]);
    assert.ok(held.holds('d1'));
    // A second click on the same lens now costs nothing.
    assert.equal(await loadUnlessHeld('d1', held, client), false);
    assert.equal(client.requests.length, 1);
  });

  it('reads the history when the inspector opens without a decision', async () => {
    const client = new CountingClient([decision('d1')]);
    assert.equal(await loadUnlessHeld(undefined, new Held(['d1']), client), true);
    assert.equal(client.requests.length, 1);
  });

  it('passes a failed read on to the caller, which logs it', async () => {
    const client: RecentDecisionsClient = { request: () => Promise.reject(new Error('connection closed')) };
    await assert.rejects(loadUnlessHeld('d9', new Held([]), client), /connection closed/);
  });
});
