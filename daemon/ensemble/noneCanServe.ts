/**
 * The error when no member of an ensemble could even be asked: every vote failed because its model
 * is unavailable or still downloading. When any is downloading the whole request fails as
 * `ModelDownloading` (the member lines carry each percent), so a client can say "models are
 * downloading, 40%" instead of showing a generic failure; otherwise `ModelUnavailable`.
 */
import { EnsembleError } from '../../protocol/errors';

interface FailedVote {
  status: string;
  error?: { kind: string; message: string };
}

export function noneCanServe(ensemble: string, votes: readonly FailedVote[], data?: unknown): EnsembleError | undefined {
  const notServing = (v: FailedVote) =>
    v.status === 'error' && (v.error?.kind === 'ModelUnavailable' || v.error?.kind === 'ModelDownloading');
  if (votes.length === 0 || !votes.every(notServing)) return undefined;
  const downloading = votes.some((v) => v.error?.kind === 'ModelDownloading');
  const lines = votes.map((v) => `- ${v.error?.message}`).join('\n');
  return new EnsembleError(
    downloading ? 'ModelDownloading' : 'ModelUnavailable',
    downloading
      ? `the models of ensemble "${ensemble}" are not downloaded yet:\n${lines}`
      : `no model of ensemble "${ensemble}" can serve:\n${lines}`,
    data,
  );
}
