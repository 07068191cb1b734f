/**
 * daemon/handlers/recentDiversity.ts: the broadcast's diversity view is read again only when it is
 * older than its bound or the config changed, counted through the reader it wraps (no clock waits:
 * the clock is the test's).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedConfig } from '../../daemon/config/loadConfig';
import type { HandlerContext } from '../../daemon/handlers/context';
import { recentDiversity } from '../../daemon/handlers/recentDiversity';
import type { DiversityView } from '../../protocol/methods';

const ctx = {} as HandlerContext;
const view = (items: number): DiversityView =>
  ({ ensemble: 'default', members: [], items, withGold: 0, agreement: [], errorCorrelation: [], hints: [] }) as unknown as DiversityView;

describe('recentDiversity', () => {
  it('reuses a view younger than its bound, and reads again once it is older', () => {
    let clock = 1_000;
    let reads = 0;
    const loaded = {} as LoadedConfig;
    const read = () => view(++reads);
    const diversity = recentDiversity(10_000, read, () => clock);
    assert.equal(diversity(ctx, loaded)?.items, 1);
    clock += 9_999;
    assert.equal(diversity(ctx, loaded)?.items, 1, 'within the bound: the same view, no store read');
    assert.equal(reads, 1);
    clock += 1;
    assert.equal(diversity(ctx, loaded)?.items, 2, 'at the bound: read again');
    assert.equal(reads, 2);
  });

  it('reads again at once when the config in force changed', () => {
    let reads = 0;
    const diversity = recentDiversity(
      10_000,
      () => view(++reads),
      () => 0,
    );
    diversity(ctx, {} as LoadedConfig);
    assert.equal(diversity(ctx, {} as LoadedConfig)?.items, 2);
  });

  it('remembers "no view" too (an ensemble of one member has none)', () => {
    let reads = 0;
    const diversity = recentDiversity(
      10_000,
      () => {
        reads++;
        return undefined;
      },
      () => 0,
    );
    const loaded = {} as LoadedConfig;
    assert.equal(diversity(ctx, loaded), undefined);
    assert.equal(diversity(ctx, loaded), undefined);
    assert.equal(reads, 1);
  });
});
