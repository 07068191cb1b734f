/** The daemon restart policy is the shared one (the daemon restarts its model workers by it too). */
export { CrashPolicy, backoffDelay } from '../../protocol/restartPolicy';
