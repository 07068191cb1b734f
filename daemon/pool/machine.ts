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

export const systemMemory: MemoryProbe = {
  totalRamBytes: () => os.totalmem(),
  freeRamBytes: () => os.freemem(),
  async gpu(wanted) {
    if (!wanted) return { freeBytes: 0, unified: false };
    try {
      gpuLlama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
        getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false }),
      );
      const llama = await gpuLlama;
      if (llama.gpu === false) return { freeBytes: 0, unified: false };
      const vram = await llama.getVramState();
      return { freeBytes: vram.free, unified: vram.unifiedSize > 0 };
    } catch {
      gpuLlama = undefined;
      return { freeBytes: 0, unified: false };
    }
  },
};
