// Where the control socket lives: beside the manifest lock and named like it, a named pipe on
// Windows, and refused with the way out when the path would not fit in sun_path.
import { describe, expect, it } from 'vitest';
import {
  controlSocketPath,
  maxSocketPathBytes,
  pipeName,
  socketFileName,
  socketPathProblem,
  socketPattern,
} from '../../../src/control/socket-path.js';
import { lockFileName, type RuntimeContext } from '../../../src/platform/posix/manifest-lock.js';

const MANIFEST = '/srv/shop/corral.yaml';
const user: RuntimeContext = {
  xdgRuntimeDir: '/run/user/1000',
  uid: 1000,
  tmpdir: '/tmp',
  platform: 'linux',
};

describe('controlSocketPath', () => {
  it('is the lock file name with .sock, in the runtime folder', () => {
    const lock = lockFileName(MANIFEST, 'shop');
    expect(lock).toMatch(/^shop-[0-9a-f]{12}\.lock$/);
    expect(socketFileName(MANIFEST, 'shop')).toBe(lock.replace(/\.lock$/, '.sock'));
    expect(controlSocketPath(MANIFEST, 'shop', user)).toBe(`/run/user/1000/corral/${lock.slice(0, -5)}.sock`);
  });

  it('follows the runtime folder rules of the lock', () => {
    const name = socketFileName(MANIFEST, 'shop');
    expect(controlSocketPath(MANIFEST, 'shop', { ...user, xdgRuntimeDir: undefined, uid: 0 })).toBe(
      `/run/corral/${name}`,
    );
    expect(controlSocketPath(MANIFEST, 'shop', { ...user, xdgRuntimeDir: 'relative' })).toBe(
      `/tmp/corral-1000/${name}`,
    );
  });

  it('tells manifests with the same service name apart', () => {
    expect(socketFileName('/a/corral.yaml', 'shop')).not.toBe(socketFileName('/b/corral.yaml', 'shop'));
  });

  it('is a named pipe on Windows', () => {
    expect(controlSocketPath(MANIFEST, 'shop', { ...user, platform: 'win32' })).toBe(
      '\\\\.\\pipe\\corral-shop',
    );
    expect(pipeName('my shop\\x')).toBe('\\\\.\\pipe\\corral-my_shop_x');
  });

  it('has a pattern for every service name of a manifest', () => {
    const hash = socketFileName(MANIFEST, 'shop').slice('shop'.length);
    expect(socketPattern('/run/corral', MANIFEST)).toBe(`/run/corral/*${hash}`);
  });
});

describe('socketPathProblem', () => {
  const at = (bytes: number): string => `/${'d'.repeat(bytes - 8)}/x.sock`;

  it('accepts a path that fits in sun_path with its NUL', () => {
    expect(maxSocketPathBytes('linux')).toBe(107);
    expect(at(107)).toHaveLength(107);
    expect(socketPathProblem(at(107), 'linux')).toBeNull();
    expect(socketPathProblem(at(103), 'darwin')).toBeNull();
  });

  it('refuses a longer one, naming it, its length and the fix', () => {
    const problem = socketPathProblem(at(108), 'linux');
    expect(problem?.code).toBe('E_SOCKET_PATH');
    expect(problem?.message).toBe(
      `the control socket path ${at(108)} is 108 bytes long; a Unix socket path can have at most 107`,
    );
    expect(problem?.hint).toBe(
      'set XDG_RUNTIME_DIR to a shorter folder of your own (the socket goes in $XDG_RUNTIME_DIR/corral), ' +
        'or shorten service.name',
    );
    expect(socketPathProblem(at(104), 'darwin')?.code).toBe('E_SOCKET_PATH');
  });

  it('counts bytes, not characters', () => {
    const path = `/${'é'.repeat(52)}/x.sock`; // 52 characters of 2 bytes: 112 bytes in all
    expect(socketPathProblem(path, 'linux')?.message).toContain('is 112 bytes long');
  });

  it('has nothing to say about pipe names', () => {
    expect(socketPathProblem(`\\\\.\\pipe\\${'x'.repeat(200)}`, 'win32')).toBeNull();
  });
});
