// Types for daemon.mjs, so TypeScript runners (test/extension/runElectron.ts) can use it.
export declare const LABELS: string[];
export interface TestDaemon {
  home: string;
  info: { pid: number; port: number; token: string; protocolVersion: number };
  models: Array<{ id: string; path: string; favors: string }>;
  logFile: string;
  stop(): Promise<void>;
}
export declare function writePool(home: string): Promise<Array<{ id: string; path: string; favors: string }>>;
export declare function startDaemon(opts?: { log?: (m: string) => void }): Promise<TestDaemon>;
