/**
 * VS Code's proxy settings as the environment variables the daemon and the CLI read (undici's
 * EnvHttpProxyAgent: daemon/net/downloadAgent.ts). `http.proxy` wins over the editor's own
 * environment, as it does for VS Code's own requests; both cases are set because the daemon reads
 * the lower-case form first, as curl does. `http.noProxy` (a list of hosts) becomes NO_PROXY.
 * Without a setting nothing is added: the inherited HTTPS_PROXY/NO_PROXY stay in force.
 */
export function proxyEnv(httpProxy: string | undefined, noProxy: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  const proxy = httpProxy?.trim();
  if (proxy) {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY']) {
      env[name] = proxy;
      env[name.toLowerCase()] = proxy;
    }
  }
  const hosts = (noProxy ?? []).map((h) => h.trim()).filter((h) => h && !/[\s,]/.test(h));
  if (hosts.length) {
    env.NO_PROXY = hosts.join(',');
    env.no_proxy = env.NO_PROXY;
  }
  return env;
}
