/**
 * The one HTTP dispatcher for everything the daemon and the CLI download (model files, the GPU
 * runtime from the npm registry). It honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY (and their
 * lower-case forms) through undici's EnvHttpProxyAgent, because a user behind a corporate proxy
 * otherwise sees a download that never starts. The extension passes VS Code's `http.proxy` to the
 * daemon and the CLI as these variables (extension/daemon/proxyEnv.ts). Redirects are followed:
 * model hubs and registries redirect to CDNs.
 */
import { EnvHttpProxyAgent, interceptors, type Dispatcher } from 'undici';

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** The proxy variables as curl and npm read them: lower case first, then upper case. */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings {
  const pick = (name: string): string | undefined => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const settings: ProxySettings = {};
  const http = pick('http_proxy');
  const https = pick('https_proxy');
  const no = pick('no_proxy');
  if (http) settings.httpProxy = http;
  if (https) settings.httpsProxy = https;
  if (no) settings.noProxy = no;
  return settings;
}

/** A dispatcher for downloads, read from `env` once (the daemon's environment does not change while it runs). */
export function downloadDispatcher(env: NodeJS.ProcessEnv = process.env): Dispatcher {
  const { httpProxy, httpsProxy, noProxy } = proxySettingsFromEnv(env);
  // Empty strings, not undefined: undefined would make undici read process.env again.
  return new EnvHttpProxyAgent({
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? httpProxy ?? '',
    noProxy: noProxy ?? '',
    connect: { timeout: 15_000 },
  }).compose(interceptors.redirect({ maxRedirections: 5 }));
}

let shared: Dispatcher | undefined;

/** The process-wide download dispatcher (one connection pool for all downloads). */
export function sharedDownloadDispatcher(): Dispatcher {
  shared ??= downloadDispatcher();
  return shared;
}
