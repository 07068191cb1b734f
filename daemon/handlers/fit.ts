/** `aggregation/fit` and `calibration/fit`: fitting what is learned from the recordings, on request. */
import type { Calibration } from '../store/store';
import type { HandlerContext } from './context';

export function handleFitAggregation(ctx: HandlerContext, ensemble: string | undefined) {
  const { name, spec, members } = ctx.live.ensemble(ensemble);
  return ctx.adaptation.fitAggregation(name, members, spec.labels ?? []);
}

export function handleFitCalibration(ctx: HandlerContext, method: Calibration['method'], minSamples: number) {
  return ctx.adaptation.fitCalibration(method, minSamples);
}
