/**
 * daemon/backends/llamaRuntime.ts: where no llama.cpp binary fits, the daemon says so at start, in
 * the words "no llama.cpp runtime for <platform>-<arch>", instead of failing at the first load.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBinaryPackage } from '../../common/llamaBinaries';
import { checkLlamaRuntime } from '../../daemon/backends/llamaRuntime';
import { nodeLlamaCppLocation } from '../../daemon/runtime/gpuSetup';

const binaries = (packageVersion: string) => async () => ({ getBinsDir: () => ({ binsDir: '/somewhere/bins', packageVersion }) });
const absent = async () => {
  throw new Error('Cannot find package');
};

describe('llama.cpp runtime check', () => {
  it("finds this machine's real binary package with node-llama-cpp's version", async () => {
    const check = await checkLlamaRuntime({ expectedVersion: nodeLlamaCppLocation().version });
    assert.equal(check.problem, undefined);
    assert.equal(check.package, defaultBinaryPackage(process.platform, process.arch));
  });

  it('names the platform when node-llama-cpp publishes no binary for it', async () => {
    const check = await checkLlamaRuntime({ platform: 'freebsd', arch: 'x64', importModule: binaries('3.21.1') });
    assert.match(check.problem ?? '', /^no llama\.cpp runtime for freebsd-x64: node-llama-cpp publishes no prebuilt binary/);
  });

  it('names the missing package when the platform has one but it is not installed', async () => {
    const check = await checkLlamaRuntime({ platform: 'darwin', arch: 'arm64', importModule: absent, expectedVersion: '3.21.1' });
    assert.equal(check.package, '@node-llama-cpp/mac-arm64-metal');
    assert.match(check.problem ?? '', /^no llama\.cpp runtime for darwin-arm64: @node-llama-cpp\/mac-arm64-metal is not installed/);
  });

  it('a package of another version than node-llama-cpp is no runtime (node-llama-cpp ignores it)', async () => {
    const check = await checkLlamaRuntime({ platform: 'win32', arch: 'x64', importModule: binaries('3.20.0'), expectedVersion: '3.21.1' });
    assert.match(
      check.problem ?? '',
      /^no llama\.cpp runtime for win32-x64: @node-llama-cpp\/win-x64 is version 3\.20\.0, node-llama-cpp needs 3\.21\.1/,
    );
    const ok = await checkLlamaRuntime({ platform: 'win32', arch: 'x64', importModule: binaries('3.21.1'), expectedVersion: '3.21.1' });
    assert.deepEqual(ok, { package: '@node-llama-cpp/win-x64' });
  });

  it('a package that exposes no binaries folder is no runtime', async () => {
    const check = await checkLlamaRuntime({ platform: 'linux', arch: 'x64', importModule: async () => ({}), expectedVersion: '3.21.1' });
    assert.match(check.problem ?? '', /^no llama\.cpp runtime for linux-x64: @node-llama-cpp\/linux-x64 holds no binaries/);
  });
});
