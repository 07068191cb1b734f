/**
 * The config `Ensemble: Open Config` writes when ENSEMBLE_HOME has none: the very pool the daemon
 * uses without a config (common/defaultPool.ts), spelled out so the user can see and change it.
 */
import { defaultPoolConfig } from '../common/defaultPool';

export const starterConfig = defaultPoolConfig;
