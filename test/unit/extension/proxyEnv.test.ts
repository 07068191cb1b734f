/** VS Code's http.proxy/http.noProxy as the daemon's proxy environment (extension/daemon/proxyEnv.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxySettingsFromEnv } from '../../../daemon/net/downloadAgent';
import { proxyEnv } from '../../../extension/daemon/proxyEnv';

describe('proxyEnv', () => {
  it('passes http.proxy as both cases of HTTP_PROXY and HTTPS_PROXY, and http.noProxy as NO_PROXY', () => {
    const env = proxyEnv(' http://proxy.corp:3128 ', ['localhost', '.internal.corp', '']);
    assert.deepEqual(env, {
      HTTP_PROXY: 'http://proxy.corp:3128',
      http_proxy: 'http://proxy.corp:3128',
      HTTPS_PROXY: 'http://proxy.corp:3128',
      https_proxy: 'http://proxy.corp:3128',
      NO_PROXY: 'localhost,.internal.corp',
      no_proxy: 'localhost,.internal.corp',
    });
  });

  it("the setting wins over the editor's inherited environment once merged, as for VS Code's own requests", () => {
    const inherited = { https_proxy: 'http://old:1', NO_PROXY: 'x' };
    const merged = { ...inherited, ...proxyEnv('http://new:2', undefined) };
    assert.deepEqual(proxySettingsFromEnv(merged), { httpProxy: 'http://new:2', httpsProxy: 'http://new:2', noProxy: 'x' });
  });

  it('adds nothing without a setting, and drops entries that would split the list', () => {
    assert.deepEqual(proxyEnv(undefined, undefined), {});
    assert.deepEqual(proxyEnv('', ['a b', 'c,d']), {});
  });
});
