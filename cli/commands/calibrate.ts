/** `ensemble calibrate`: fit each model's confidence calibration on the labelled votes recorded so far. */
import type { Command } from 'commander';
import { CliError, connectCli } from '../connect';

export function registerCalibrate(program: Command): void {
  program
    .command('fit')
    .description(
      'fit an ensemble\'s learned strategies on its labelled recordings: member reliabilities per category ("learned"), a router over the input text ("routed") and stacking ("stacking")',
    )
    .option('--ensemble <name>', 'ensemble from config.json (default: the default ensemble)')
    .option('--json', 'print the fit as JSON')
    .action(async (opts: { ensemble?: string; json?: boolean }) => {
      const conn = await connectCli();
      try {
        const fit = await conn.rpc.request('aggregation/fit', { ensemble: opts.ensemble });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(fit, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `ensemble ${fit.ensemble}: fitted on ${fit.n} labelled items${fit.categories.length ? `, categories ${fit.categories.join(', ')}` : ''}\n`,
        );
        for (const m of fit.members)
          process.stdout.write(`  ${m.member.padEnd(24)} reliability ${m.reliability.toFixed(3)}  weight ${m.weight.toFixed(2)}\n`);
        process.stdout.write(
          fit.router
            ? `router: fitted on the input text; asks more members when its top score is under ${fit.router.threshold} (${fit.router.fallback} more)\n`
            : 'router: none (the recordings hold no input text: record again with this version)\n',
        );
        process.stdout.write(`stacking: ${fit.stacking ? 'fitted' : 'none (too few items on which members disagree)'}\n`);
        process.stdout.write('use it with --strategy learned, routed or stacking (or set "strategy" in config.json)\n');
      } finally {
        conn.close();
      }
    });

  program
    .command('calibrate')
    .description('fit per-model temperature (or Platt) scaling on recorded labelled votes and put it in force')
    .option('--method <method>', 'temperature or platt', 'temperature')
    .option('--min-samples <n>', 'fit only models with at least n labelled votes', '20')
    .option('--json', 'print the fits as JSON')
    .action(async (opts: { method: string; minSamples: string; json?: boolean }) => {
      if (opts.method !== 'temperature' && opts.method !== 'platt')
        throw new CliError(`--method: expected temperature or platt, got "${opts.method}"`, 2);
      const minSamples = Number(opts.minSamples);
      if (!Number.isInteger(minSamples) || minSamples < 1) throw new CliError('--min-samples: expected a positive whole number', 2);
      const conn = await connectCli();
      try {
        const fits = await conn.rpc.request('calibration/fit', { method: opts.method, minSamples });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(fits, null, 2)}\n`);
          return;
        }
        if (fits.length === 0) process.stdout.write('no labelled votes recorded yet: run "ensemble record" or give feedback first\n');
        for (const f of fits) {
          process.stdout.write(
            f.applied
              ? `${f.model}: ${opts.method} ${JSON.stringify(f.params)} on ${f.n} votes; ECE (15 equal-width bins) ${f.eceBefore.toFixed(3)} -> ${f.eceAfter.toFixed(3)}, Brier ${f.brierBefore.toFixed(3)} -> ${f.brierAfter.toFixed(3)}` +
                  `${f.heldOut ? ` (held out: fitted on the other votes, measured on ${f.heldOut} it never saw)` : ' (in-sample: too few votes to hold some out)'}\n`
              : `${f.model}: only ${f.n} labelled votes (need ${minSamples}); left as is\n`,
          );
        }
      } finally {
        conn.close();
      }
    });
}
