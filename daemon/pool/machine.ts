/**
 * What the machine has, for the memory plan: RAM from the OS, free VRAM from node-llama-cpp's GPU
 * probe (the native binding only, no model is loaded in the daemon). Injectable for tests.
 */
import os from 'node:os';
import type { Llama } from 'node-llama-cpp';

export interface MemoryProbe {
  totalRamBytes(): number;
  freeRamBytes(): number;
  /** Free VRAM of the GPU in-process models would use (0 when none, or when no model asks for one), and whether it is unified with RAM. */
  gpu(wanted: boolean): Promise<{ freeBytes: number; unified: boolean }>;
}

let gpuLlama: Promise<Llama> | undefined;

/** node-llama-cpp with GPU auto-detection (the native binding only: no model is loaded in this process). */
function probeLlama(): Promise<Llama> {
  gpuLlama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false }),
  );
  gpuLlama.catch(() => (gpuLlama = undefined));
  return gpuLlama;
}

/** The GPUs node-llama-cpp sees, named gpu0, gpu1, ...: its total VRAM split evenly over its devices. */
export async function detectGpus(): Promise<Array<{ name: string; freeBytes: number }>> {
  try {
    const llama = await probeLlama();
    if (llama.gpu === false) return [];
    const vram = await llama.getVramState();
    const n = Math.max(1, (await llama.getGpuDeviceNames()).length);
    return Array.from({ length: n }, (_, i) => ({ name: `gpu${i}`, freeBytes: Math.floor(vram.total / n) }));
  } catch {
    return [];
  }
}

export const systemMemory: MemoryProbe = {
  totalRamBytes: () => os.totalmem(),
  freeRamBytes: () => os.freemem(),
  async gpu(wanted) {
    if (!wanted) return { freeBytes: 0, unified: false };
    try {
      const llama = await probeLlama();
      if (llama.gpu === false) return { freeBytes: 0, unified: false };
      const vram = await llama.getVramState();
      return { freeBytes: vram.free, unified: vram.unifiedSize > 0 };
    } catch {
      return { freeBytes: 0, unified: false };
    }
  },
};
