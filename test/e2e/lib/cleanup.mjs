// Everything a runner starts (daemon, code-server, browser) is registered here, so it is stopped
// on success, on failure and on Ctrl-C / SIGTERM alike, each by the handle we hold on it.
const tasks = [];

/** Registers `fn` to run at cleanup (last registered runs first). */
export function onCleanup(fn) {
  tasks.push(fn);
}

let running = null;

/** Runs every registered task once; concurrent callers (a signal during a run's own cleanup) share one pass. */
export function cleanupAll(log = console.log) {
  running ??= (async () => {
    while (tasks.length) {
      const fn = tasks.pop();
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${e instanceof Error ? e.message : e}`);
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`${sig}: stopping what this run started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
