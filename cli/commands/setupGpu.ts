/**
 * `ensemble setup gpu [cuda|vulkan|metal]`: install node-llama-cpp's prebuilt GPU runtime from the
 * npm registry into the ensemble home (no npm or node on PATH needed: daemon/runtime/setUpGpu.ts),
 * so workers offload to the GPU from the next daemon start. `--json` prints one JSON object per
 * line (progress, then the result or the error) for the extension's "Ensemble: Set Up GPU".
 */
import type { Command } from 'commander';
import { ensembleHome } from '../../common/node/home';
import { formatSize } from '../../common/formatSize';
import { registryUrl, runtimePackageDir } from '../../daemon/runtime/gpuInstall';
import { writeRuntimeChoice } from '../../daemon/runtime/gpuRuntime';
import type { GpuKind } from '../../daemon/runtime/gpuSetup';
import { gpuPlanHere, setUpGpu } from '../../daemon/runtime/setUpGpu';
import { CliError } from '../connect';

interface SetupGpuOptions {
  dryRun?: boolean;
  cpu?: boolean;
  registry?: string;
  json?: boolean;
  skipLoadCheck?: boolean;
}

export function registerSetupGpu(program: Command): void {
  const setup = program.command('setup').description('set up optional parts of the runtime');
  setup
    .command('gpu')
    .description(
      "install node-llama-cpp's prebuilt GPU runtime (CUDA, Vulkan) from the npm registry into the ensemble home, so models with gpuLayers offload to the GPU",
    )
    .argument('[gpu]', 'cuda, vulkan or metal (default: the first this platform has: cuda on Linux/Windows x64, metal on Apple silicon)')
    .option('--dry-run', 'print what would be installed and where, install nothing')
    .option('--cpu', 'go back to the CPU: workers load with gpu:false from the next daemon start (the GPU package stays installed)')
    .option('--registry <url>', 'npm registry to download from (default: $npm_config_registry, else https://registry.npmjs.org/)')
    .option('--skip-load-check', 'record the runtime without loading it once (e.g. the driver is installed later)')
    .option('--json', 'print progress and the result as JSON lines (for the VS Code extension)')
    .action(async (gpu: string | undefined, opts: SetupGpuOptions) => {
      const home = ensembleHome();
      const say = (human: string, json: Record<string, unknown>): void => {
        process.stdout.write(opts.json ? `${JSON.stringify(json)}\n` : `${human}\n`);
      };
      if (opts.cpu) {
        writeRuntimeChoice(home, { gpu: 'cpu' });
        say('workers load on the CPU from the next daemon start (ensemble stop, then any command starts it)', { type: 'done', gpu: 'cpu' });
        return;
      }
      if (gpu !== undefined && gpu !== 'cuda' && gpu !== 'vulkan' && gpu !== 'metal')
        throw new CliError(`unknown GPU runtime "${gpu}" (expected cuda, vulkan or metal)`, 2);
      let plan;
      let registry;
      try {
        plan = gpuPlanHere(gpu as GpuKind | undefined);
        registry = registryUrl(opts.registry);
      } catch (e) {
        throw new CliError((e as Error).message, 2);
      }
      const where = plan.packageName ? runtimePackageDir(home, plan.packageName, plan.version) : 'built in';
      say(
        `${plan.gpu}: ${plan.packageName ?? 'built into the default package'} ${plan.version}\n  from ${registry}\n  into ${where}\n  ${plan.note}`,
        {
          type: 'plan',
          gpu: plan.gpu,
          package: plan.packageName,
          version: plan.version,
          registry,
          dir: where,
        },
      );
      if (opts.dryRun) return;
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let lastShown = -1;
      try {
        const result = await setUpGpu({
          home,
          gpu: plan.gpu,
          registry,
          signal: controller.signal,
          loadCheck: !opts.skipLoadCheck,
          onProgress: (p) => {
            const pct = p.totalBytes ? Math.floor((100 * p.receivedBytes) / p.totalBytes) : -1;
            if (pct === lastShown) return;
            lastShown = pct;
            if (opts.json) say('', { type: 'progress', receivedBytes: p.receivedBytes, totalBytes: p.totalBytes });
            else if (pct % 10 === 0)
              process.stderr.write(`  ${pct}% (${formatSize(p.receivedBytes)} of ${formatSize(p.totalBytes ?? 0)})\n`);
          },
        });
        say(
          `${result.loaded ? `node-llama-cpp loads ${result.loaded}\n` : ''}workers use ${plan.gpu} from the next daemon start (ensemble stop, then any command starts it)`,
          { type: 'done', gpu: plan.gpu, dir: result.installed?.dir ?? null, loaded: result.loaded ?? null },
        );
      } catch (e) {
        const message = `${(e as Error).message}`;
        if (opts.json) say('', { type: 'error', message });
        throw new CliError(message, 1);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
