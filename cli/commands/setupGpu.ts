/** `ensemble setup gpu [cuda|vulkan|metal]`: install node-llama-cpp's prebuilt GPU runtime so workers offload to the GPU. */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ensembleHome } from '../../common/node/home';
import { nodeLlamaCppLocation, planGpuSetup, writeRuntimeChoice, type GpuKind } from '../../daemon/runtime/gpuSetup';
import { CliError } from '../connect';

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // npm prints its own progress; shell on Windows so that npm.cmd is found.
    const child = spawn(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Loads the runtime in a child process (native code stays out of this one) and prints what node-llama-cpp found. */
function verify(gpu: GpuKind, entry: string): Promise<number> {
  const script = `
    import(${JSON.stringify(entry)}).then(async ({ getLlama }) => {
      const llama = await getLlama({ gpu: ${JSON.stringify(gpu)}, build: 'never', progressLogs: false });
      const vram = await llama.getVramState();
      console.log('node-llama-cpp uses ' + llama.gpu + ' (' + (await llama.getGpuDeviceNames()).join(', ') + '), ' + (vram.total / 2 ** 30).toFixed(1) + ' GiB of VRAM');
    }).catch((e) => { console.error(e && e.message ? e.message : String(e)); process.exit(1); });`;
  return run(process.execPath, ['-e', script]);
}

export function registerSetupGpu(program: Command): void {
  const setup = program.command('setup').description('set up optional parts of the runtime');
  setup
    .command('gpu')
    .description(
      "install node-llama-cpp's prebuilt GPU runtime (CUDA, Vulkan) from the npm registry, so models with gpuLayers offload to the GPU",
    )
    .argument('[gpu]', 'cuda, vulkan or metal (default: the first this platform has: cuda on Linux/Windows x64, metal on Apple silicon)')
    .option('--dry-run', 'print what would be installed and where, install nothing')
    .option('--cpu', 'go back to the CPU runtime (the GPU package stays installed)')
    .action(async (gpu: string | undefined, opts: { dryRun?: boolean; cpu?: boolean }) => {
      const home = ensembleHome();
      if (opts.cpu) {
        writeRuntimeChoice(home, 'cpu');
        process.stdout.write('workers load on the CPU from the next daemon start\n');
        return;
      }
      if (gpu !== undefined && gpu !== 'cuda' && gpu !== 'vulkan' && gpu !== 'metal')
        throw new CliError(`unknown GPU runtime "${gpu}" (expected cuda, vulkan or metal)`, 2);
      let plan;
      const location = nodeLlamaCppLocation();
      try {
        plan = planGpuSetup(gpu, { platform: process.platform, arch: process.arch, ...location });
      } catch (e) {
        throw new CliError((e as Error).message, 2);
      }
      const command = plan.npmArgs.length ? `npm ${plan.npmArgs.join(' ')}` : '(nothing to install: built into the default package)';
      process.stdout.write(`${plan.gpu}: ${plan.packageName ?? 'built in'} ${plan.version}\n  ${command}\n  ${plan.note}\n`);
      if (opts.dryRun) return;
      if (plan.npmArgs.length) {
        const code = await run('npm', plan.npmArgs);
        if (code !== 0)
          throw new CliError(
            `npm failed (exit ${code}); nothing changed, models keep running on the CPU. Is the npm registry reachable?`,
            1,
          );
      }
      if ((await verify(plan.gpu, location.entry)) !== 0) {
        throw new CliError(`${plan.gpu} runtime installed, but it does not load here (driver missing?); models keep running on the CPU`, 1);
      }
      writeRuntimeChoice(home, plan.gpu);
      process.stdout.write(`workers use ${plan.gpu} from the next daemon start (ensemble stop, then any command starts it)\n`);
    });
}
