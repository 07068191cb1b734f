/** `--quorum 0.66`: the share of answering members that must agree. */
import { CliError } from '../connect';

export function parseQuorum(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const q = Number(value);
  if (!(q > 0 && q <= 1)) throw new CliError(`--quorum: expected a share in (0, 1], e.g. 0.5 or 0.67; got "${value}"`, 2);
  return q;
}
