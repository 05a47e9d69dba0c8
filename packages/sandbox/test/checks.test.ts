import { describe, expect, it } from 'vitest';
import { sandboxEnv, withoutCredentials } from '../src/env';
import { checkPackageSpec, checkProjectPath, parseTscOutput, sandboxConfigFromEnv } from '../src/index';
import { LogHub } from '../src/logs';

describe('checkProjectPath', () => {
  it('normalises harmless forms', () => {
    expect(checkProjectPath('src/App.tsx')).toEqual({ ok: true, path: 'src/App.tsx' });
    expect(checkProjectPath('./src//components/./Button.tsx')).toEqual({ ok: true, path: 'src/components/Button.tsx' });
    expect(checkProjectPath('.env.example')).toEqual({ ok: true, path: '.env.example' });
    expect(checkProjectPath('a..b/c...d')).toEqual({ ok: true, path: 'a..b/c...d' });
    // Visible non-ASCII names stay allowed.
    expect(checkProjectPath('src/données/café.ts')).toEqual({ ok: true, path: 'src/données/café.ts' });
    expect(checkProjectPath('src/日本語/😀.md')).toEqual({ ok: true, path: 'src/日本語/😀.md' });
  });

  it('names the invisible character it refuses', () => {
    expect(checkProjectPath('src/evil\u202Efdp.ts')).toMatchObject({ ok: false, message: expect.stringContaining('U+202E') });
  });

  it.each([
    ['', 'invalid_path'],
    ['.', 'invalid_path'],
    ['/etc/passwd', 'invalid_path'],
    ['C:/x', 'invalid_path'],
    ['~/x', 'invalid_path'],
    ['..', 'invalid_path'],
    ['src/../../x', 'invalid_path'],
    ['src/..', 'invalid_path'],
    ['a\\b', 'invalid_path'],
    ['a\0b', 'invalid_path'],
    ['a\tb', 'invalid_path'],
    ['a\u007fb', 'invalid_path'],
    ['a\u0085b', 'invalid_path'],
    // Bidi overrides and isolates, zero-width characters, the BOM, soft hyphen, separators, lone surrogates.
    ['src/evil\u202Efdp.ts', 'invalid_path'],
    ['src/a\u202Ab.ts', 'invalid_path'],
    ['src/\u2066x\u2069.ts', 'invalid_path'],
    ['src/a\u200Bb.ts', 'invalid_path'],
    ['src/a\u200Db.ts', 'invalid_path'],
    ['\uFEFFindex.ts', 'invalid_path'],
    ['src/a\u00ADb.ts', 'invalid_path'],
    ['src/a\u2028b.ts', 'invalid_path'],
    ['src/a\uD800b.ts', 'invalid_path'],
    ['node_modules/x.js', 'invalid_path'],
    ['src/node_modules/x.js', 'invalid_path'],
    ['.git/config', 'invalid_path'],
    [`${'x'.repeat(256)}/a`, 'invalid_path'],
    ['a/'.repeat(151), 'path_too_long'],
  ])('refuses %j', (p, code) => {
    const r = checkProjectPath(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });
});

describe('checkPackageSpec', () => {
  it.each(['react', 'zustand@5', 'react-router-dom@^7.1.0', '@tanstack/react-query', '@types/node@22.x', 'lodash@latest', 'x@>=1.2 <2'])(
    'accepts %j',
    (spec) => {
      expect(checkPackageSpec(spec)).toMatchObject({ ok: true, spec });
    },
  );

  it('splits name and range', () => {
    expect(checkPackageSpec('@scope/pkg@1.2.3')).toEqual({ ok: true, spec: '@scope/pkg@1.2.3', name: '@scope/pkg', range: '1.2.3' });
    expect(checkPackageSpec('pkg')).toEqual({ ok: true, spec: 'pkg', name: 'pkg', range: null });
  });

  it.each([
    '',
    '-g',
    '--save-dev',
    'React',
    '.hidden',
    '_private',
    '@scope',
    '@scope/',
    'https://example.com/x.tgz',
    'git+https://github.com/a/b.git',
    'github:a/b',
    'a/b',
    'file:../x',
    'pkg@file:../x',
    'pkg@npm:other@1',
    'pkg@git+ssh://x',
    'pkg@',
    'pkg@ -x',
    'a b',
    'x'.repeat(215),
  ])('refuses %j', (spec) => {
    expect(checkPackageSpec(spec)).toMatchObject({ ok: false, code: 'invalid_package' });
  });
});

describe('parseTscOutput', () => {
  it('reads file, line, column and continuation lines', () => {
    const out = [
      "src/App.tsx(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  Type 'x' is missing the following properties from type 'y': a, b",
      "src/main.tsx(1,1): error TS2307: Cannot find module './Nope' or its corresponding type declarations.",
      "error TS5083: Cannot read file '/app/tsconfig.json'.",
    ].join('\n');
    expect(parseTscOutput(out)).toEqual([
      {
        source: 'tsc',
        file: 'src/App.tsx',
        line: 12,
        column: 5,
        message:
          "TS2322: Type 'string' is not assignable to type 'number'.\nType 'x' is missing the following properties from type 'y': a, b",
      },
      {
        source: 'tsc',
        file: 'src/main.tsx',
        line: 1,
        column: 1,
        message: "TS2307: Cannot find module './Nope' or its corresponding type declarations.",
      },
      { source: 'tsc', file: null, line: null, column: null, message: "TS5083: Cannot read file '/app/tsconfig.json'." },
    ]);
    expect(parseTscOutput('')).toEqual([]);
  });
});

describe('sandboxConfigFromEnv', () => {
  it('reads kind, image, ports and limits', () => {
    expect(
      sandboxConfigFromEnv(
        {
          LATHE_SANDBOX: 'docker',
          LATHE_SANDBOX_IMAGE: 'img:1',
          LATHE_SANDBOX_PORT_RANGE: '45000-45100',
          LATHE_SANDBOX_MEMORY_MB: '1024',
          LATHE_SANDBOX_CPUS: '1.5',
          LATHE_SANDBOX_PIDS: '300',
          LATHE_SANDBOX_DISK_MB: '2048',
          LATHE_CHROMIUM_PATH: process.execPath,
          LATHE_RENDER_CHECK_MS: '9000',
        },
        '/data',
      ),
    ).toEqual({
      kind: 'docker',
      dataDir: '/data',
      image: 'img:1',
      portRange: [45000, 45100],
      limits: { memoryBytes: 1024 * 1024 * 1024, cpus: 1.5, pids: 300, diskBytes: 2048 * 1024 * 1024 },
      renderCheck: { executablePath: process.execPath, timeoutMs: 9000 },
    });
    expect(sandboxConfigFromEnv({ LATHE_CHROMIUM_PATH: 'none' }, '/data')).toEqual({
      kind: 'local',
      dataDir: '/data',
      limits: {},
      renderCheck: { executablePath: null },
    });
  });

  it('refuses nonsense', () => {
    expect(() => sandboxConfigFromEnv({ LATHE_SANDBOX: 'k8s' }, '/d')).toThrow(/LATHE_SANDBOX/);
    expect(() => sandboxConfigFromEnv({ LATHE_SANDBOX_PORT_RANGE: '1-' }, '/d')).toThrow(/PORT_RANGE/);
    expect(() => sandboxConfigFromEnv({ LATHE_SANDBOX_CPUS: '-1' }, '/d')).toThrow(/CPUS/);
    expect(() => sandboxConfigFromEnv({ LATHE_SANDBOX_DISK_MB: '1.5' }, '/d')).toThrow(/DISK_MB/);
    expect(sandboxConfigFromEnv({ LATHE_SANDBOX_DISK_MB: '0', LATHE_CHROMIUM_PATH: 'none' }, '/d').limits).toEqual({ diskBytes: 0 });
    expect(() => sandboxConfigFromEnv({ LATHE_CHROMIUM_PATH: '/no/such/chromium' }, '/d')).toThrow(/LATHE_CHROMIUM_PATH/);
    expect(() => sandboxConfigFromEnv({ LATHE_RENDER_CHECK_MS: 'soon' }, '/d')).toThrow(/RENDER_CHECK_MS/);
  });
});

describe('LogHub', () => {
  it('splits chunks into lines whatever the boundaries, keeps a bounded buffer, and ends readers on close', async () => {
    const hub = new LogHub(3);
    const seen: string[] = [];
    const reader = (async () => {
      for await (const line of hub.follow()) seen.push(`${line.source}/${line.stream}:${line.text}`);
    })();
    const out = hub.splitter('dev', 'stdout');
    out('hel');
    out('lo\r\nwor');
    out('ld\n\nlast');
    out(null);
    hub.splitter('exec', 'stderr', (t) => !t.startsWith('#'))('# hidden\nshown\n');
    expect(hub.recent().map((l) => l.text)).toEqual(['', 'last', 'shown']);
    hub.close();
    await reader;
    expect(seen).toEqual(['dev/stdout:hello', 'dev/stdout:world', 'dev/stdout:', 'dev/stdout:last', 'exec/stderr:shown']);
    hub.push({ source: 'exec', stream: 'stdout', text: 'after close', time: 0 });
    expect(hub.recent().map((l) => l.text)).not.toContain('after close');
  });
});

describe('sandboxEnv', () => {
  it("passes proxy and registry settings without the operator's credentials, and nothing else", () => {
    const env = sandboxEnv(
      {
        HTTPS_PROXY: 'http://operator:s3cret@proxy.internal:3128',
        http_proxy: 'operator:s3cret@proxy.internal:3128',
        NO_PROXY: 'localhost,127.0.0.1',
        npm_config_registry: 'https://ci:token@registry.internal/npm/',
        DATABASE_URL: 'postgres://lathe:pw@db/lathe',
        BETTER_AUTH_SECRET: 'x',
      },
      { PATH: '/usr/bin' },
      { registry: null, cafile: null },
    );
    expect(env.HTTPS_PROXY).toBe('http://proxy.internal:3128');
    expect(env.http_proxy).toBe('proxy.internal:3128');
    expect(env.NO_PROXY).toBe('localhost,127.0.0.1');
    expect(env.npm_config_registry).toBe('https://registry.internal/npm/');
    expect(JSON.stringify(env)).not.toMatch(/s3cret|token|DATABASE_URL|BETTER_AUTH_SECRET/);
    expect(sandboxEnv({}, {}, { registry: 'https://u:p@r.example/', cafile: null }).npm_config_registry).toBe('https://r.example/');
    expect(withoutCredentials('http://proxy.internal:3128')).toBe('http://proxy.internal:3128');
    expect(withoutCredentials('http://proxy.internal:3128/path@x')).toBe('http://proxy.internal:3128/path@x');
  });
});
