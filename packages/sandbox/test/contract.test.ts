import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chromiumFromEnv, createSandboxProvider, type Sandbox, type SandboxKind, type SandboxProvider } from '../src/index';
import { connectHmr, errorCode, getWithHost, processesIn, processesRunning, startProxy, upgradeWithHost, waitFor } from './helpers';

// Secrets the server process holds: no sandboxed process may see them.
const SECRETS = {
  DATABASE_URL: 'postgres://lathe:hunter2-db@127.0.0.1/lathe',
  BETTER_AUTH_SECRET: 'fake-auth-secret-6f1e',
  OPENAI_API_KEY: 'sk-fake-openai-9a7c',
  OPENROUTER_API_KEY: 'sk-or-fake-3b2d',
  LATHE_ENCRYPTION_KEY: 'fake-encryption-key-77aa',
};
Object.assign(process.env, SECRETS);

const SECRET_MARK = 'data-dir-secret-5e2b';
const DEV_RUNNER = fileURLToPath(new URL('../runtime/dev-server.mjs', import.meta.url));

const IMAGE = process.env.LATHE_SANDBOX_IMAGE ?? 'lathe/sandbox:local';
const docker = new Docker();

const PROVIDERS: { kind: SandboxKind; ports: [number, number] }[] = [
  { kind: 'local', ports: [42100, 42199] },
  { kind: 'docker', ports: [42200, 42299] },
];

describe.each(PROVIDERS)('sandbox contract: $kind', ({ kind, ports }) => {
  const run = `${kind}-${process.pid}`;
  let dataDir: string;
  let provider: SandboxProvider;
  let sb: Sandbox;
  let root: string;

  const provide = (extra: { installScripts?: string[] } = {}) =>
    createSandboxProvider({
      kind,
      dataDir,
      portRange: ports,
      image: IMAGE,
      limits: { filesPerProject: 60, memoryBytes: 768 * 1024 * 1024, pids: 256 },
      renderCheck: { executablePath: chromiumFromEnv(process.env) },
      ...extra,
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `lathe-sbx-${kind}-`));
    // The data dir as `npm start` lays it out inside the repository: a workspace root above the
    // projects, with the server's secrets beside them.
    writeFileSync(join(dataDir, 'package.json'), JSON.stringify({ name: 'decoy-workspace', private: true, workspaces: ['packages/*'] }));
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ authSecret: SECRET_MARK }));
    provider = provide();
    sb = await provider.create(`main-${run}`);
    root = (await sb.exec({ shell: 'pwd' })).stdout.trim();
  });

  afterAll(async () => {
    for (const id of await provider.list()) if (id.endsWith(run)) await provider.destroy(id);
    await provider.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts from the template and round-trips files', async () => {
    const paths = (await sb.listFiles()).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['index.html', 'package.json', 'src/App.tsx', 'src/main.tsx', 'vite.config.ts']));
    expect(paths.some((p) => p.startsWith('node_modules'))).toBe(false);
    // Icons and class names are there before any install (models use them without asking).
    const resolved = await sb.exec({
      argv: ['node', '-e', 'for (const m of ["lucide-react", "clsx"]) require.resolve(m); console.log("ok")'],
    });
    expect(resolved.stdout.trim()).toBe('ok');

    const text = 'héllo\n\nworld ✓\n';
    await sb.writeFiles([
      { path: 'notes/a.txt', content: text },
      { path: './notes//b.txt', content: '' },
    ]);
    expect(await sb.readFile('notes/a.txt')).toBe(text);
    expect(await sb.readFile('notes/b.txt')).toBe('');
    const listed = await sb.listFiles();
    expect(listed.find((f) => f.path === 'notes/a.txt')?.size).toBe(Buffer.byteLength(text));
    await sb.writeFiles([{ path: 'notes/a.txt', content: 'replaced' }]);
    expect(await sb.readFile('notes/a.txt')).toBe('replaced');
    await sb.deleteFile('notes/a.txt');
    expect(await errorCode(sb.readFile('notes/a.txt'))).toBe('not_found');
    expect(await errorCode(sb.deleteFile('notes/a.txt'))).toBe('not_found');
  });

  it('refuses every path attack and writes nothing', async () => {
    const attacks: [string, string][] = [
      ['/etc/lathe-owned', 'invalid_path'],
      ['../escape.txt', 'invalid_path'],
      ['src/../../escape.txt', 'invalid_path'],
      ['src/a\0b.txt', 'invalid_path'],
      ['src/a\nb.txt', 'invalid_path'],
      ['src\\..\\..\\escape.txt', 'invalid_path'],
      ['node_modules/react/index.js', 'invalid_path'],
      ['', 'invalid_path'],
      [`${'a/'.repeat(200)}x`, 'path_too_long'],
    ];
    for (const [path, code] of attacks) {
      expect(
        await errorCode(
          sb.writeFiles([
            { path: 'innocent.txt', content: 'x' },
            { path, content: 'x' },
          ]),
        ),
        path,
      ).toBe(code);
    }
    expect(
      await errorCode(
        sb.writeFiles([
          { path: 'innocent.txt', content: 'x' },
          { path: 'big.txt', content: 'x'.repeat(1024 * 1024 + 1) },
        ]),
      ),
    ).toBe('file_too_large');
    const many = Array.from({ length: 70 }, (_, i) => ({ path: `many/f${i}.txt`, content: String(i) }));
    expect(await errorCode(sb.writeFiles([{ path: 'innocent.txt', content: 'x' }, ...many]))).toBe('too_many_files');

    // A symlink planted by a command, then written and read through.
    const target = `/tmp/lathe-escape-${run}`;
    const planted = await sb.exec({ shell: `mkdir -p ${target} && ln -s ${target} src/evil && ln -s /etc/hostname src/leak.txt` });
    expect(planted.exitCode).toBe(0);
    expect(
      await errorCode(
        sb.writeFiles([
          { path: 'innocent.txt', content: 'x' },
          { path: 'src/evil/owned.txt', content: 'x' },
        ]),
      ),
    ).toBe('invalid_path');
    expect(await errorCode(sb.writeFiles([{ path: 'src/leak.txt', content: 'x' }]))).toBe('invalid_path');
    expect(await errorCode(sb.readFile('src/leak.txt'))).toBe('invalid_path');
    expect(await errorCode(sb.readFile('src/evil/anything'))).toBe('invalid_path');
    expect(await errorCode(sb.exec({ shell: 'pwd' }, { cwd: 'src/evil' }))).toBe('invalid_path');
    const outside = await sb.exec({ shell: `test -e ${target}/owned.txt && echo present || echo absent` });
    expect(outside.stdout.trim()).toBe('absent');

    const paths = (await sb.listFiles()).map((f) => f.path);
    expect(paths).not.toContain('innocent.txt');
    expect(paths.some((p) => p.startsWith('many/') || p === 'big.txt')).toBe(false);
    await sb.exec({ shell: `rm -rf src/evil src/leak.txt ${target}` });
  });

  it('runs commands: argv and shell, streamed output, exit codes, env, cwd', async () => {
    const chunks: string[] = [];
    const res = await sb.exec(
      { shell: 'echo one; echo two >&2; echo "$GREETING"; exit 3' },
      {
        env: { GREETING: 'hi there' },
        onOutput: (stream, text) => chunks.push(`${stream}:${text}`),
      },
    );
    expect(res.exitCode).toBe(3);
    expect(res.stdout).toBe('one\nhi there\n');
    expect(res.stderr).toBe('two\n');
    expect(chunks.join('')).toContain('stderr:two');
    const argv = await sb.exec(
      { argv: ['node', '-e', 'console.log(process.argv.slice(1).join("|"), process.cwd())', 'a b', '$HOME'] },
      { cwd: 'src' },
    );
    expect(argv.stdout.trim()).toBe(`a b|$HOME ${root}/src`);
    expect(await errorCode(sb.exec({ argv: [] }))).toBe('invalid_command');
    expect(await errorCode(sb.exec({ shell: 'true' }, { env: { PATH: '/evil' } }))).toBe('invalid_command');
  });

  it('opens a shell on a terminal in the project: echo, commands, resize, Ctrl+C, and kill ends all it started', async () => {
    let screen = '';
    // Colours and terminal queries (busybox asks where the cursor is) are left out.
    const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
    const shell = await sb.openShell({ cols: 100, rows: 30, onOutput: (text) => (screen += text.replace(escapes, '')) });
    const until = (what: string, test: RegExp) =>
      waitFor(what, () => (test.test(screen) ? true : undefined), 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal shows:\n${screen}`);
      });
    shell.write('stty size; pwd; ls src\r');
    await until('the size, the directory and the listing', /30 100\r?\n[\s\S]*App\.tsx/);
    expect(screen).toContain(root);
    shell.write('node -e "console.log(6 * 7, process.stdout.isTTY)"\r');
    await until('node on a tty', /42 true/);
    shell.resize(120, 40);
    // A resize reaches the shell asynchronously: ask until it shows.
    await waitFor(
      'the new size',
      async () => {
        shell.write('stty size\r');
        await new Promise((r) => setTimeout(r, 200));
        return /40 120/.test(screen) ? true : undefined;
      },
      30_000,
    );
    shell.write(`sleep 400.${process.pid}\r`);
    const running = (nap: string) => processesRunning(['sleep', `${nap}.${process.pid}`]).length > 0;
    await waitFor('the sleep', () => (running('400') ? true : undefined));
    shell.write('\x03');
    await waitFor('Ctrl+C to stop it', () => (running('400') ? undefined : true));
    // A background job outlives nothing: killing the shell ends it too.
    shell.write(`sleep 401.${process.pid} &\r`);
    await waitFor('the background sleep', () => (running('401') ? true : undefined));
    await shell.kill();
    expect(await shell.exited).toBeNull();
    await waitFor('no process left', () => (running('401') ? undefined : true));
    shell.write('echo after\r');
    // A shell that exits on its own reports its code.
    const second = await sb.openShell({ cols: 80, rows: 24, onOutput: () => undefined });
    second.write('exit 3\r');
    expect(await second.exited).toBe(3);
  });

  it('times out and cancels commands, killing the whole process group', async () => {
    // Generous, so a loaded machine still prints the pid before the deadline.
    const nap = `300.${process.pid}`;
    const timed = await sb.exec({ shell: `sleep ${nap} & echo $!; wait` }, { timeoutMs: 4000 });
    expect(timed.timedOut).toBe(true);
    expect(timed.exitCode).toBeNull();
    const child = timed.stdout.trim();
    expect(child).toMatch(/^\d+$/);
    if (kind === 'local') {
      // Each local command has a pid namespace of its own: look for the child from the host.
      expect(processesRunning(['sleep', nap])).toEqual([]);
    } else {
      // Gone, or a zombie waiting for its new parent to reap it.
      const state = await sb.exec({ shell: `cut -d' ' -f3 /proc/${child}/stat 2>/dev/null || echo gone` });
      expect(['gone', 'Z']).toContain(state.stdout.trim());
    }

    const ac = new AbortController();
    const started = sb.exec(
      { shell: 'echo started; sleep 300' },
      {
        signal: ac.signal,
        onOutput: (_s, text) => {
          if (text.includes('started')) ac.abort();
        },
      },
    );
    const cancelled = await started;
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.exitCode).toBeNull();
  });

  it('applies resource limits to every process', async () => {
    const limits = (await sb.exec({ shell: 'cat /proc/self/limits' })).stdout;
    if (kind === 'local') {
      expect(limits).toMatch(/Max address space\s+8589934592\s+8589934592/);
      expect(limits).toMatch(/Max open files\s+4096\s+4096/);
      expect(limits).toMatch(/Max processes\s+4096\s+4096/);
      expect(limits).toMatch(/Max cpu time\s+\d+\s+\d+\s+seconds/);
    } else {
      // Docker limits live in the container's cgroup (checked in the isolation suite), not in rlimits.
      expect((await sb.exec({ shell: 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' })).stdout.trim()).toBe(
        '256',
      );
    }
  });

  it('never passes the server secrets to sandboxed processes', async () => {
    const res = await sb.exec({ shell: 'env' });
    expect(res.stdout).toContain(`HOME=${root}`);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(res.stdout).not.toContain(value);
      expect(res.stdout).not.toContain(`${name}=`);
    }
  });

  it('refuses package specs that are not registry names', async () => {
    for (const bad of [
      '--global',
      '-D',
      'https://evil.example/x.tgz',
      'git+ssh://git@github.com/a/b.git',
      'file:../x',
      '../x',
      'a@file:../x',
      'UPPER',
      'a b',
    ]) {
      expect(await errorCode(sb.install([bad])), bad).toBe('invalid_package');
    }
    expect(await errorCode(sb.install([]))).toBe('invalid_package');
  });

  it('serves the template, pushes HMR updates on a file write, and reports diagnostics', async () => {
    const { url } = await sb.startDevServer();
    expect(sb.status().state).toBe('running');
    expect(provider.live()).toContain(`main-${run}`);
    expect(await sb.startDevServer()).toEqual({ url });
    // The preinstalled helpers are bundled with React at start-up, not at their first import (a
    // re-bundle then leaves the open page with two Reacts until it reloads).
    const optimized = await waitFor('the dependency optimizer', async () => {
      const meta = await sb.exec({ shell: 'cat .vite/deps/_metadata.json 2>/dev/null' });
      return meta.exitCode === 0 && meta.stdout.includes('"react"') ? (JSON.parse(meta.stdout) as { optimized: object }) : undefined;
    });
    expect(Object.keys(optimized.optimized)).toEqual(expect.arrayContaining(['react', 'lucide-react', 'clsx']));
    const html = await (await fetch(url)).text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toContain('/src/main.tsx');
    // Only the proxy's loopback Host is answered: a page that rebinds its own name to 127.0.0.1
    // (DNS rebinding) or any other name gets nothing, HMR socket included.
    const port = new URL(url).port;
    const client = await (await fetch(`${url}/@vite/client`)).text();
    const hmrPath = `/?token=${/const wsToken = "([^"]*)"/.exec(client)?.[1] ?? ''}`;
    expect(await upgradeWithHost(url, hmrPath, `127.0.0.1:${port}`)).toContain('101');
    expect((await getWithHost(url, '/src/App.tsx', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await getWithHost(url, '/src/App.tsx', `localhost:${port}`)).status).toBe(200);
    for (const foreign of [
      `attacker.example:${port}`,
      'p-abc.preview.localhost:3001',
      `10.0.0.7:${port}`,
      `localhost.attacker.example:${port}`,
    ]) {
      const answer = await getWithHost(url, '/src/App.tsx', foreign);
      expect(answer.status, foreign).toBe(403);
      expect(answer.body).not.toContain('App');
      expect(await upgradeWithHost(url, hmrPath, foreign), foreign).toContain('403');
    }

    const hmr = await connectHmr(url);
    try {
      expect(await (await fetch(`${url}/src/App.tsx`)).text()).toContain('Your app is being built');
      const app = (await sb.readFile('src/App.tsx')).replace('Your app is being built', 'Hello from HMR');
      await sb.writeFiles([{ path: 'src/App.tsx', content: app }]);
      const update = await waitFor('an HMR update', () =>
        hmr.messages.find((m) => m.type === 'update' && m.updates?.some((u) => u.path === '/src/App.tsx')),
      );
      expect(update.type).toBe('update');
      expect(await (await fetch(`${url}/src/App.tsx`)).text()).toContain('Hello from HMR');
      expect(sb.status()).toMatchObject({ state: 'running', restarts: 0 });
    } finally {
      hmr.close();
    }

    // The same through a preview-proxy stand-in: another host name and port, HMR websocket included.
    const proxy = await startProxy(url);
    const previewHost = `p-${run}.preview.localhost:${proxy.port}`;
    const viaProxy = await connectHmr(proxy.url, previewHost);
    try {
      const page = await fetch(`${proxy.url}/`, { headers: { Host: previewHost } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root"></div>');
      const client = await (await fetch(`${proxy.url}/@vite/client`, { headers: { Host: previewHost } })).text();
      // The browser's HMR socket goes back to the page's own origin, not the dev server's port.
      expect(client).toContain('const hmrPort = null;');
      await fetch(`${proxy.url}/src/App.tsx`, { headers: { Host: previewHost } }).then((r) => r.text());
      const update = viaProxy.next((m) => m.type === 'update' && (m.updates ?? []).some((u) => u.path === '/src/App.tsx'), 60_000);
      const app = await sb.readFile('src/App.tsx');
      await sb.writeFiles([{ path: 'src/App.tsx', content: app.replace('Hello from HMR', 'Hello through the proxy') }]);
      await update;
    } finally {
      viaProxy.close();
      await proxy.close();
    }

    await sb.writeFiles([{ path: 'src/Broken.tsx', content: "const n: number = 'not a number';\nexport default n;\n" }]);
    expect(await sb.diagnostics()).toContainEqual(expect.objectContaining({ source: 'tsc', file: 'src/Broken.tsx', line: 1 }));
    await sb.deleteFile('src/Broken.tsx');
    await sb.writeFiles([{ path: 'src/Syntax.tsx', content: 'export default function () { return <div>; }\n' }]);
    // No browser has requested the module: diagnostics asks the dev server for every source file.
    const vite = (await sb.diagnostics()).filter((d) => d.source === 'vite');
    expect(vite).toContainEqual(expect.objectContaining({ file: 'src/Syntax.tsx' }));
    expect(vite.every((d) => !d.message.includes('\u001b'))).toBe(true);
    await sb.deleteFile('src/Syntax.tsx');
    // The preinstalled helpers type-check and transform with no install.
    const icons =
      "import { clsx } from 'clsx';\nimport { Check } from 'lucide-react';\n\nexport function Done({ on }: { on: boolean }) {\n  return <Check className={clsx('size-4', on && 'text-green-600')} />;\n}\n";
    await sb.writeFiles([{ path: 'src/Icons.tsx', content: icons }]);
    expect(await sb.diagnostics()).toEqual([]);
    await sb.deleteFile('src/Icons.tsx');

    expect(sb.recentLogs().some((l) => l.source === 'dev')).toBe(true);
  });

  it('reports what the browser sees: runtime errors mapped to the source line, a blank page, a thumbnail', async () => {
    const { url } = await sb.startDevServer();
    const original = await sb.readFile('src/App.tsx');
    try {
      // The page carries the error reporter, through the preview proxy too, and the proxy passes its reports on.
      const proxy = await startProxy(url);
      try {
        const previewHost = `p-${run}.preview.localhost:${proxy.port}`;
        const html = await (await fetch(`${proxy.url}/`, { headers: { Host: previewHost } })).text();
        expect(html.indexOf('__latheReporter')).toBeGreaterThan(-1);
        expect(html.indexOf('__latheReporter')).toBeLessThan(html.indexOf('/src/main.tsx'));
        const posted = await fetch(`${proxy.url}/__lathe/runtime`, {
          method: 'POST',
          headers: { Host: previewHost, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'error', message: 'from the proxy', stack: '' }),
        });
        expect(posted.status).toBe(204);
        const huge = await fetch(`${proxy.url}/__lathe/runtime`, {
          method: 'POST',
          headers: { Host: previewHost, 'content-type': 'application/json' },
          body: 'x'.repeat(64 * 1024),
        }).catch(() => null);
        expect(huge === null || huge.status >= 200).toBe(true);
      } finally {
        await proxy.close();
      }

      const fine = await sb.renderCheck();
      expect(fine).toMatchObject({ status: 'checked', blank: false, diagnostics: [] });
      expect(fine.screenshot).toMatch(/^data:image\/jpeg;base64,/);

      // A component that throws while rendering (line 4 of the source, whatever the transform made of it).
      const throwing = [
        "import { useState } from 'react';",
        'function Broken({ items }: { items?: string[] }) {',
        '  const [n] = useState(0);',
        "  if (n === 0) throw new Error('items went missing: ' + String(items?.length));",
        '  return <p>{n}</p>;',
        '}',
        'export default function App() {',
        '  return <main><Broken /></main>;',
        '}',
        '',
      ].join('\n');
      await sb.writeFiles([{ path: 'src/App.tsx', content: throwing }]);
      const broken = await sb.renderCheck();
      expect(broken.status).toBe('checked');
      expect(broken.blank).toBe(true);
      const thrown = broken.diagnostics.find((d) => d.message.includes('items went missing'));
      expect(thrown).toMatchObject({ source: 'runtime', file: 'src/App.tsx', line: 4 });
      expect(broken.diagnostics).toContainEqual(
        expect.objectContaining({ source: 'runtime', message: expect.stringContaining('renders nothing') }),
      );

      // An app that calls a server it may not reach: the check's browser refuses to fetch it.
      const calling =
        "export default function App() {\n  fetch('https://example.com/track').catch(() => console.error('tracking blocked'));\n  return <h1>Hi</h1>;\n}\n";
      await sb.writeFiles([{ path: 'src/App.tsx', content: calling }]);
      const blocked = await sb.renderCheck();
      expect(blocked.blank).toBe(false);
      expect(blocked.diagnostics).toContainEqual(
        expect.objectContaining({ source: 'runtime', message: expect.stringContaining('tracking blocked') }),
      );

      // Nor any other port on this machine (loopback included), and no WebSocket either.
      let hits = 0;
      const listener = createServer((_req, res) => {
        hits++;
        res.end('reached');
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const other = (listener.address() as AddressInfo).port;
      try {
        // Module scope runs once per load (a component body runs twice under StrictMode).
        const probing = [
          `fetch('http://127.0.0.1:${other}/steal').then((r) => r.text()).then((t) => { if (t === 'reached') console.error('reached another port'); }).catch(() => undefined);`,
          `try { new WebSocket('ws://127.0.0.1:${other}/ws'); } catch {}`,
          "const earlier = localStorage.getItem('lathe-check') ?? sessionStorage.getItem('lathe-check') ?? (document.cookie || null);",
          "localStorage.setItem('lathe-check', 'set');",
          "sessionStorage.setItem('lathe-check', 'set');",
          "document.cookie = 'lathe-check=set; max-age=3600';",
          "if (earlier) console.error('storage survived an earlier check');",
          'export default function App() {',
          '  return <h1>Probe</h1>;',
          '}',
          '',
        ].join('\n');
        await sb.writeFiles([{ path: 'src/App.tsx', content: probing }]);
        const first = await sb.renderCheck();
        const second = await sb.renderCheck();
        expect(hits).toBe(0);
        // Each check starts with the origin's storage cleared, as a first visit would.
        for (const r of [first, second]) expect(r).toMatchObject({ status: 'checked', blank: false, diagnostics: [] });
      } finally {
        listener.close();
      }
    } finally {
      await sb.writeFiles([{ path: 'src/App.tsx', content: original }]);
    }
  });

  it('restarts a running dev server after an install, so the first load with the new library renders', async () => {
    await sb.startDevServer();
    const original = await sb.readFile('src/App.tsx');
    try {
      const result = await sb.install(['react-hot-toast@2.6.0']);
      expect(result.installed).toEqual(['react-hot-toast@2.6.0']);
      expect(sb.status().state).toBe('running');
      const app = [
        "import toast, { Toaster } from 'react-hot-toast';",
        'export default function App() {',
        '  return <main><Toaster /><button type="button" onClick={() => toast(\'Saved\')}>Save</button></main>;',
        '}',
        '',
      ].join('\n');
      await sb.writeFiles([{ path: 'src/App.tsx', content: app }]);
      const check = await sb.renderCheck();
      expect(check).toMatchObject({ status: 'checked', blank: false, diagnostics: [] });
    } finally {
      await sb.writeFiles([{ path: 'src/App.tsx', content: original }]);
    }
  });

  it('serves files only from the project and its dependencies', async () => {
    const { url } = await sb.startDevServer();
    const loopback = `127.0.0.1:${new URL(url).port}`;
    expect((await getWithHost(url, `/@fs${root}/src/App.tsx`, loopback)).status).toBe(200);
    // Files outside the project that exist where the dev server runs (inside a local jail too):
    // refused, not just missing. The data dir's files must not leak either way.
    const existing = kind === 'local' ? [DEV_RUNNER, '/usr/lib/os-release'] : ['/etc/passwd', '/opt/lathe/dev-server.mjs'];
    const dataFiles = [`${dataDir}/secrets.json`, `${dataDir}/package.json`, `${root}/../secrets.json`, `${root}/../../secrets.json`];
    for (const path of [...existing, ...dataFiles]) {
      for (const query of ['', '?import&raw']) {
        const answer = await getWithHost(url, `/@fs${path}${query}`, loopback);
        expect(answer.body, path + query).not.toContain(SECRET_MARK);
        expect(answer.body).not.toContain('root:x:0');
        expect(answer.body).not.toContain('lathe-confine');
        expect(answer.body).not.toContain('VERSION_ID=');
        if (existing.includes(path)) expect(answer.status, path + query).toBe(403);
      }
    }
    // A page still loads its dependencies (React from node_modules, wherever that really lives).
    const main = await getWithHost(url, '/src/main.tsx', loopback);
    const dep = /from "(\/[^"]*react-dom[^"]*)"/.exec(main.body)?.[1];
    expect(dep, main.body.slice(0, 400)).toBeDefined();
    expect((await getWithHost(url, dep ?? '', loopback)).status).toBe(200);
  });

  it('restarts a dev server that was killed', async () => {
    const { url } = await sb.startDevServer();
    if (kind === 'local') {
      // A local command sees only its own pid namespace: kill the dev server (and its jail) from the host.
      const pids = processesRunning([process.execPath, DEV_RUNNER, root], { suffix: true });
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    } else {
      // No pkill in the minimal image: find the dev server by its command line (the pattern does not match this shell).
      const killed = await sb.exec({
        shell: `for p in /proc/[0-9]*; do if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'dev-server.mj[s] ${root}'; then kill -9 \${p##*/}; fi; done; echo killed`,
      });
      expect(killed.stdout).toContain('killed');
    }
    await waitFor('the restart', () => (sb.status().restarts >= 1 && sb.status().state === 'running' ? true : undefined), 90_000);
    expect(sb.status().url).toBe(url);
    expect(await (await fetch(url)).text()).toContain('<div id="root"></div>');
  });

  it('reports a dev server that cannot start, and stops restarting one that keeps crashing', async () => {
    const id = `broken-${run}`;
    const broken = await provider.create(id);
    try {
      await broken.writeFiles([{ path: 'vite.config.ts', content: "throw new Error('config exploded');\n" }]);
      expect(await errorCode(broken.startDevServer())).toBe('dev_server_failed');
      expect(broken.status().state).toBe('failed');
      expect(broken.status().error).toContain('config exploded');

      // A server that answers, then dies whenever /__crash is requested.
      const crashing = [
        "import { defineConfig } from 'vite';",
        'export default defineConfig({',
        "  plugins: [{ name: 'crash', configureServer(server) { server.middlewares.use('/__crash', () => process.exit(1)); } }],",
        '});',
        '',
      ].join('\n');
      await broken.writeFiles([{ path: 'vite.config.ts', content: crashing }]);
      const { url } = await broken.startDevServer();
      for (let crash = 1; crash <= 3; crash++) {
        await fetch(`${url}/__crash`).catch(() => undefined);
        await waitFor(
          `restart ${crash}`,
          () => (broken.status().state === 'running' && broken.status().restarts === crash ? true : undefined),
          90_000,
        );
      }
      await fetch(`${url}/__crash`).catch(() => undefined);
      const final = await waitFor('giving up', () => (broken.status().state === 'failed' ? broken.status() : undefined), 30_000);
      expect(final).toMatchObject({ state: 'failed', restarts: 3, url: null });
    } finally {
      await provider.destroy(id);
    }
  });

  it('streams logs to live readers', async () => {
    const seen: string[] = [];
    const reader = (async () => {
      for await (const line of sb.logs()) {
        seen.push(line.text);
        if (line.text.includes('log-marker-42')) break;
      }
    })();
    await sb.exec({ shell: 'echo log-marker-42' });
    await reader;
    expect(seen).toContain('log-marker-42');
    expect(sb.recentLogs().find((l) => l.text === 'log-marker-42')).toMatchObject({ source: 'exec', stream: 'stdout' });
  });

  it('installs a package into the project only, skipping a name the registry does not know', async () => {
    const res = await sb.install(['is-number@7.0.0', 'lathe-no-such-package-7f3a9c'], { timeoutMs: 240_000 });
    expect(res.exitCode).toBe(0);
    expect(res.installed).toEqual(['is-number@7.0.0']);
    expect(res.skipped).toEqual([{ spec: 'lathe-no-such-package-7f3a9c', reason: 'not found in the npm registry' }]);
    const manifest = JSON.parse(await sb.readFile('package.json'));
    expect(manifest.dependencies['is-number']).toBe('7.0.0');
    expect(manifest.dependencies['lathe-no-such-package-7f3a9c']).toBeUndefined();
    expect((await sb.exec({ argv: ['node', '-e', 'console.log(require("is-number")(5))'] })).stdout.trim()).toBe('true');
    // The next project starts from the untouched template.
    const other = await provider.create(`other-${run}`);
    expect((await other.exec({ shell: 'test -e node_modules/is-number && echo yes || echo no' })).stdout.trim()).toBe('no');
    await provider.destroy(`other-${run}`);
  });

  it('installs a package whose peer range predates React 19 (legacy peer deps)', async () => {
    // react-copy-to-clipboard 5.1.0 asks for react "^15.3.0 || 16 || 17 || 18"; npm's strict peer rules refuse it.
    const res = await sb.install(['react-copy-to-clipboard@5.1.0'], { timeoutMs: 240_000 });
    expect(res).toMatchObject({ exitCode: 0, installed: ['react-copy-to-clipboard@5.1.0'], skipped: [] });
    expect(JSON.parse(await sb.readFile('package.json')).dependencies['react-copy-to-clipboard']).toBe('5.1.0');
    const probe = await sb.exec({ argv: ['node', '-e', 'console.log(typeof require("react-copy-to-clipboard").CopyToClipboard)'] });
    expect(probe.stdout.trim()).toBe('function');
  });

  it('never runs install scripts, except those of the allow-list', async () => {
    // esbuild's postinstall replaces its JavaScript launcher bin/esbuild with the native binary:
    // an ELF file there means the script ran, a `#!` script means it did not.
    const launcher = async (s: Sandbox) =>
      (
        await s.exec({
          argv: [
            'node',
            '-e',
            'process.stdout.write(require("fs").readFileSync("node_modules/esbuild/bin/esbuild").subarray(0, 4).toString("latin1"))',
          ],
        })
      ).stdout;
    const strict = provide({ installScripts: [] });
    const other = await strict.create(`scripts-${run}`);
    try {
      // Even a project that approves esbuild's scripts itself (npm 11's allowScripts) does not get them run.
      const manifest = JSON.parse(await other.readFile('package.json'));
      await other.writeFiles([
        { path: 'package.json', content: JSON.stringify({ ...manifest, allowScripts: { esbuild: true } }, null, 2) },
      ]);
      const res = await other.install(['esbuild@0.28.2'], { timeoutMs: 240_000, dev: true });
      expect(res).toMatchObject({ exitCode: 0, installed: ['esbuild@0.28.2'] });
      expect(await launcher(other)).toBe('#!/u');
      expect(JSON.parse(await other.readFile('package.json')).devDependencies.esbuild).toBe('0.28.2');
    } finally {
      await strict.destroy(`scripts-${run}`);
      await strict.shutdown();
    }
    // The default allow-list names esbuild: its script runs after the install.
    const res = await sb.install(['esbuild@0.28.2'], { timeoutMs: 240_000 });
    expect(res).toMatchObject({ exitCode: 0, installed: ['esbuild@0.28.2'] });
    expect(await launcher(sb)).toBe('\x7fELF');
  });

  it('is found again by a new provider (server restart), which ends what the old one left running', async () => {
    await sb.stopDevServer();
    expect(provider.live()).not.toContain(`main-${run}`);
    let running: () => void = () => {};
    const ready = new Promise<void>((r) => (running = r));
    const leftover = sb.exec({ shell: 'echo started; exec sleep 300' }, { onOutput: (_s, t) => t.includes('started') && running() });
    await ready;
    const again = provide();
    // A new provider runs nothing until it adopts, and live() adopts nothing.
    expect(again.live()).toEqual([]);
    expect(await again.list()).toContain(`main-${run}`);
    const adopted = await again.get(`main-${run}`);
    expect(adopted).not.toBeNull();
    expect(await adopted?.readFile('notes/b.txt')).toBe('');
    expect([null, 137]).toContain((await leftover).exitCode);
    expect(await again.get('no-such-project')).toBeNull();
    expect(await errorCode(again.get('../etc'))).toBe('invalid_project_id');
  });

  it('destroy leaves no process, container or directory', async () => {
    const id = `gone-${run}`;
    const gone = await provider.create(id);
    await expect(provider.create(id)).rejects.toMatchObject({ code: 'sandbox_exists' });
    const { url } = await gone.startDevServer();
    const bg = gone.exec({ shell: 'sleep 300' });
    expect(provider.live()).toContain(id);
    await provider.destroy(id);
    expect(provider.live()).not.toContain(id);
    expect((await bg).exitCode).toBeNull();
    expect(await provider.list()).not.toContain(id);
    expect(await provider.get(id)).toBeNull();
    await expect(fetch(url, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
    await expect(gone.readFile('index.html')).rejects.toMatchObject({ code: 'sandbox_destroyed' });
    if (kind === 'local') {
      const dir = join(dataDir, 'projects', id);
      expect(existsSync(dir)).toBe(false);
      expect(processesIn(dir)).toEqual([]);
    } else {
      const left = await docker.listContainers({ all: true, filters: { label: [`lathe.project=${id}`] } });
      expect(left).toEqual([]);
    }
  });
});

describe('docker isolation', () => {
  const id = `iso-${process.pid}`;
  let dataDir: string;
  let provider: SandboxProvider;
  let sb: Sandbox;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lathe-sbx-iso-'));
    provider = createSandboxProvider({
      kind: 'docker',
      dataDir,
      portRange: [42300, 42399],
      image: IMAGE,
      limits: { memoryBytes: 512 * 1024 * 1024, pids: 256 },
    });
    sb = await provider.create(id);
  });

  afterAll(async () => {
    await provider.destroy(id);
    await provider.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs without capabilities, privileges, Docker socket or a public port', async () => {
    const res = await sb.exec({
      shell: 'grep -E "^Cap(Eff|Prm)|^NoNewPrivs" /proc/self/status; id -u; test -e /var/run/docker.sock && echo socket || echo no-socket',
    });
    expect(res.stdout).toMatch(/CapPrm:\s+0+\n/);
    expect(res.stdout).toMatch(/CapEff:\s+0+\n/);
    expect(res.stdout).toMatch(/NoNewPrivs:\s+1\n/);
    expect(res.stdout).toContain('1000\n');
    expect(res.stdout).toContain('no-socket');
    const [info] = await docker.listContainers({ filters: { label: [`lathe.project=${id}`] } });
    const inspect = await docker.getContainer(info?.Id ?? '').inspect();
    const bindings = Object.values(inspect.HostConfig.PortBindings ?? {}).flat() as { HostIp: string }[];
    expect(bindings.length).toBeGreaterThan(0);
    expect(bindings.every((b) => b.HostIp === '127.0.0.1')).toBe(true);
    expect(inspect.HostConfig).toMatchObject({
      Memory: 512 * 1024 * 1024,
      PidsLimit: 256,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    });
    expect(inspect.HostConfig.Binds?.some((b) => b.includes('docker.sock'))).toBe(false);
    // No npm cache shared with other projects, no shared network.
    expect(inspect.HostConfig.Binds?.some((b) => b.includes('npm-cache'))).toBe(false);
    expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual([inspect.HostConfig.NetworkMode]);
    expect(['default', 'bridge', 'host']).not.toContain(inspect.HostConfig.NetworkMode);
  });

  it("cannot reach another sandbox's dev server, directly or through the host's published port", async () => {
    const otherId = `iso-other-${process.pid}`;
    const other = await provider.create(otherId);
    const container = async (project: string) => {
      const [info] = await docker.listContainers({ filters: { label: [`lathe.project=${project}`] } });
      if (!info) throw new Error(`no container for ${project}`);
      const inspect = await docker.getContainer(info.Id).inspect();
      const [net] = Object.values(inspect.NetworkSettings.Networks);
      if (!net) throw new Error(`no network for ${project}`);
      return net;
    };
    try {
      const { url } = await other.startDevServer();
      const target = await container(otherId);
      // From the host the server answers at its container address (403: not a loopback Host)...
      const fromHost = await fetch(`http://${target.IPAddress}:5173/`, { signal: AbortSignal.timeout(10_000) });
      expect(fromHost.status).toBe(403);
      // ...but not from the first sandbox: neither its address nor the host's port behind its own gateway.
      const probe = async (address: string) =>
        (
          await sb.exec({
            argv: [
              'node',
              '-e',
              `fetch(${JSON.stringify(address)}, { signal: AbortSignal.timeout(5000) }).then((r) => console.log("status " + r.status), (e) => console.log("error " + (e.cause?.code ?? e.name)))`,
            ],
          })
        ).stdout.trim();
      expect(await probe(`http://${target.IPAddress}:5173/`)).toMatch(/^error /);
      const own = await container(id);
      expect(await probe(`http://${own.Gateway}:${new URL(url).port}/`)).toMatch(/^error /);
    } finally {
      await provider.destroy(otherId);
    }
    // The network goes with its sandbox.
    expect(await docker.listNetworks({ filters: { label: [`lathe.project=${otherId}`] } })).toEqual([]);
  });

  /** What a TCP connection from inside a sandbox to `host` ends with (an error code or "connected"). */
  const connectFrom = async (sandbox: Sandbox, host: string) =>
    (
      await sandbox.exec({
        argv: [
          'node',
          '-e',
          `const s = require("node:net").connect({ host: ${JSON.stringify(host)}, port: 80, timeout: 5000 });
           s.on("connect", () => { console.log("connected"); s.destroy(); });
           s.on("timeout", () => { console.log("timeout"); s.destroy(); });
           s.on("error", (e) => console.log(e.code));`,
        ],
      })
    ).stdout.trim();

  it('cannot reach link-local or cloud metadata addresses, also after the container restarts', async () => {
    // Refused at once by an `unreachable` route in the sandbox's own network namespace.
    expect(await connectFrom(sb, '169.254.169.254')).toBe('EHOSTUNREACH');
    expect(await connectFrom(sb, '169.254.1.1')).toBe('EHOSTUNREACH');
    expect(await connectFrom(sb, '100.100.100.200')).toBe('EHOSTUNREACH');
    // Without capabilities the sandbox cannot take the routes out.
    const del = await sb.exec({ shell: 'ip route del 169.254.0.0/16' });
    expect(del.exitCode).not.toBe(0);
    expect(await connectFrom(sb, '169.254.169.254')).toBe('EHOSTUNREACH');

    // A server restart adopts the container and restarts it (a new network namespace): the routes go in again.
    const otherId = `iso-adopt-${process.pid}`;
    const first = createSandboxProvider({ kind: 'docker', dataDir, portRange: [42300, 42399], image: IMAGE });
    const second = createSandboxProvider({ kind: 'docker', dataDir, portRange: [42300, 42399], image: IMAGE });
    try {
      await first.create(otherId);
      const adopted = await second.get(otherId);
      if (!adopted) throw new Error('the container was not adopted');
      expect(await connectFrom(adopted, '169.254.169.254')).toBe('EHOSTUNREACH');
      // Ordinary addresses are still routed (no such server here, but not "unreachable").
      expect(await connectFrom(adopted, '10.255.255.1')).not.toBe('EHOSTUNREACH');
    } finally {
      await second.destroy(otherId);
      await first.shutdown().catch(() => undefined);
      await second.shutdown();
    }
    // No helper container is left behind.
    expect(await docker.listContainers({ all: true, filters: { label: ['lathe.role=routes'] } })).toEqual([]);
  });

  it('limits the writable layer where the engine can, and says so where it cannot', async () => {
    const [info] = await docker.listContainers({ filters: { label: [`lathe.project=${id}`] } });
    const inspect = await docker.getContainer(info?.Id ?? '').inspect();
    const size = (inspect.HostConfig as { StorageOpt?: Record<string, string> | null }).StorageOpt?.size;
    // Ask the engine directly whether it takes a size.
    const probe = await docker
      .createContainer({ Image: IMAGE, Cmd: ['true'], HostConfig: { StorageOpt: { size: '1G' } } })
      .then(async (c) => {
        await c.remove({ force: true });
        return 'supported';
      })
      .catch((e: Error) => e.message);
    if (probe === 'supported') {
      expect(size).toBe(String(4 * 1024 ** 3));
      return;
    }
    expect(probe).toMatch(/storage-opt/);
    expect(size).toBeUndefined();
    // A provider tells the operator once, on its first sandbox, and the sandbox still runs.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fresh = createSandboxProvider({ kind: 'docker', dataDir, portRange: [42300, 42399], image: IMAGE });
    const freshId = `iso-disk-${process.pid}`;
    try {
      const made = await fresh.create(freshId);
      expect((await made.exec({ shell: 'echo up' })).stdout.trim()).toBe('up');
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('cannot limit a container'))).toHaveLength(1);
    } finally {
      warn.mockRestore();
      await fresh.destroy(freshId);
      await fresh.shutdown();
    }
  });

  it('kills a memory hog inside the container and stops a fork bomb at the pid limit', async () => {
    const hog = await sb.exec({ argv: ['node', '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 24, 1));'] }, { timeoutMs: 60_000 });
    expect(hog.timedOut).toBe(false);
    expect(hog.exitCode).toBe(137);
    expect((await sb.exec({ shell: 'echo alive' })).stdout.trim()).toBe('alive');

    const [info] = await docker.listContainers({ filters: { label: [`lathe.project=${id}`] } });
    if (!info) throw new Error('the sandbox container is missing');
    const container = docker.getContainer(info.Id);
    // Fork failures in the bomb's own output prove the cap was hit: the container has no nproc
    // ulimit, so only its pids limit can refuse a fork. Watching the output live keeps this
    // independent of how fast the bomb grows on a loaded machine.
    let refused = false;
    const stop = new AbortController();
    const bomb = sb.exec(
      { shell: 'f() { f & f & wait; }; f' },
      {
        timeoutMs: 90_000,
        signal: stop.signal,
        onOutput: (_stream, text) => {
          if (/fork|Resource temporarily unavailable/i.test(text)) refused = true;
        },
      },
    );
    await waitFor('the pid limit to refuse a fork', async () => (refused ? true : undefined), 90_000);
    const stats = await container.stats({ stream: false });
    expect(stats.pids_stats?.current ?? 0).toBeLessThanOrEqual(256);
    // The host still runs new processes while the container is saturated.
    const host = await import('node:child_process').then((cp) => cp.execFileSync('sh', ['-c', 'echo host-ok']).toString().trim());
    expect(host).toBe('host-ok');
    stop.abort();
    const result = await bomb;
    expect(result.stderr).toMatch(/fork|Resource temporarily unavailable/i);
    expect((await sb.exec({ shell: 'echo recovered' })).stdout.trim()).toBe('recovered');
  });
});
