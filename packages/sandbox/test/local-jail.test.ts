import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxProvider, probeLocalConfinement, type Sandbox, type SandboxProvider } from '../src/index';

// What a local sandbox must never see: the server's secrets beside the projects, other projects,
// the server's own checkout and home. `.ci/run` installs bubblewrap, so these run confined.
const SECRET_MARK = 'jail-secret-91c4';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('local sandbox inside bubblewrap', () => {
  const run = `jail-${process.pid}`;
  let dataDir: string;
  let provider: SandboxProvider;
  let mine: Sandbox;
  let theirs: Sandbox;
  let theirRoot: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lathe-sbx-jail-'));
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ authSecret: SECRET_MARK }));
    provider = createSandboxProvider({ kind: 'local', dataDir, portRange: [42400, 42449] });
    mine = await provider.create(`mine-${run}`);
    theirs = await provider.create(`theirs-${run}`);
    await theirs.writeFiles([{ path: 'src/private.txt', content: SECRET_MARK }]);
    theirRoot = join(dataDir, 'projects', `theirs-${run}`);
  });

  afterAll(async () => {
    for (const id of await provider.list()) await provider.destroy(id);
    await provider.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is available on this machine', async () => {
    expect(await probeLocalConfinement()).toMatchObject({ confined: true });
  });

  it("serves an app whose vite.config tries to read the data dir's secrets, without them", async () => {
    // The config runs in the dev server's process: what it reads ends up in every page it serves.
    await mine.writeFiles([
      {
        path: 'vite.config.ts',
        content: `import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const attempt = (f: () => unknown): string => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return 'blocked:' + (e as NodeJS.ErrnoException).code;
  }
};
const seen = [
  attempt(() => readFileSync(${JSON.stringify(join(dataDir, 'secrets.json'))}, 'utf8')),
  attempt(() => readFileSync(join(process.cwd(), '../../secrets.json'), 'utf8')),
  attempt(() => readdirSync(join(process.cwd(), '..'))),
  attempt(() => readFileSync(${JSON.stringify(join(theirRoot, 'src/private.txt'))}, 'utf8')),
];

export default defineConfig({
  plugins: [
    tailwindcss(),
    react(),
    { name: 'leak', transformIndexHtml: (html) => html.replace('</body>', '<script type="text/x-seen">' + seen.join(' | ') + '</script></body>') },
  ],
  cacheDir: '.vite',
});
`,
      },
    ]);
    const { url } = await mine.startDevServer();
    const page = await (await fetch(url)).text();
    expect(page).toContain('<div id="root"></div>');
    const seen = /<script type="text\/x-seen">([^<]*)<\/script>/.exec(page)?.[1];
    expect(seen).toBeDefined();
    expect(seen).not.toContain(SECRET_MARK);
    // The folder above the project exists only to hold it: no sibling project is listed.
    expect(seen?.split(' | ')).toEqual(['blocked:ENOENT', 'blocked:ENOENT', JSON.stringify([`mine-${run}`]), 'blocked:ENOENT']);
  });

  it("serves an app whose dev server tries to reach the host's ports and another project's preview, without reaching them", async () => {
    let hits = 0;
    const listener = createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const hostPort = (listener.address() as AddressInfo).port;
    const { url: theirUrl } = await theirs.startDevServer();
    try {
      await mine.writeFiles([
        {
          path: 'vite.config.ts',
          content: `import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const attempt = (url: string): Promise<string> =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.text().then((t) => 'reached:' + t.slice(0, 40)),
    (e) => 'blocked:' + String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name),
  );

export default defineConfig(async () => {
  const seen = await Promise.all([attempt('http://127.0.0.1:${hostPort}/'), attempt('${theirUrl}/src/private.txt')]);
  return {
    plugins: [
      tailwindcss(),
      react(),
      { name: 'leak', transformIndexHtml: (html: string) => html.replace('</body>', '<script type="text/x-seen">' + seen.join(' | ') + '</script></body>') },
    ],
    cacheDir: '.vite',
  };
});
`,
        },
      ]);
      await mine.stopDevServer();
      const { url } = await mine.startDevServer();
      // Reached from the host as before (the port is forwarded to the jailed server's socket).
      const page = await (await fetch(url)).text();
      expect(page).toContain('<div id="root"></div>');
      const seen = /<script type="text\/x-seen">([^<]*)<\/script>/.exec(page)?.[1];
      expect(seen?.split(' | ').every((s) => s.startsWith('blocked:'))).toBe(true);
      expect(hits).toBe(0);
      // Their dev server is up and answers the host: only the jail could not reach it.
      expect((await fetch(`${theirUrl}/src/private.txt`)).status).toBe(200);
    } finally {
      listener.close();
      await theirs.stopDevServer();
    }
  });

  it("cannot list or read another project, the data dir, the server's checkout or home", async () => {
    const probe = async (shell: string) => {
      const res = await mine.exec({ shell });
      expect(res.stdout + res.stderr, shell).not.toContain(SECRET_MARK);
      return res.exitCode;
    };
    expect(await probe(`ls ${theirRoot}`)).not.toBe(0);
    expect(await probe(`cat ${theirRoot}/src/private.txt`)).not.toBe(0);
    expect(await probe(`cat ${dataDir}/secrets.json`)).not.toBe(0);
    expect(await probe(`ls ${dataDir}/projects | grep -v mine-${run} | grep .`)).not.toBe(0);
    expect(await probe(`find ${dataDir} -name secrets.json | grep .`)).not.toBe(0);
    expect(await probe(`ls ${join(REPO, 'package.json')}`)).not.toBe(0);
    expect(await probe('ls -A /root | grep .')).not.toBe(0);
    // The CA variables name files the jail shows: a command's own values must not choose them.
    const named = await mine.exec(
      { shell: `cat ${dataDir}/secrets.json` },
      { env: { NODE_EXTRA_CA_CERTS: join(dataDir, 'secrets.json'), SSL_CERT_FILE: join(dataDir, 'secrets.json') } },
    );
    expect(named.exitCode).not.toBe(0);
    expect(named.stdout).not.toContain(SECRET_MARK);
    // Its own project is there and writable; where the kernel allows a user namespace, not as root.
    const confinement = await probeLocalConfinement();
    const uid = confinement.confined && confinement.jail.userNamespace ? '1000' : '0';
    expect((await mine.exec({ shell: 'echo ok > note.txt && cat note.txt && id -u' })).stdout).toBe(`ok\n${uid}\n`);
    // The jail's own user names, not the host's accounts.
    const passwd = (await mine.exec({ shell: 'cat /etc/passwd; whoami' })).stdout;
    expect(passwd).not.toMatch(/^(postgres|_apt|daemon):/m);
    expect(passwd.trim().split('\n').pop()).toBe(uid === '0' ? 'root' : 'lathe');
  });

  it("keeps each project's npm cache to itself, and removes it with the project", async () => {
    const scratch = (id: string) => join(dataDir, 'scratch', id);
    const cache = (await mine.exec({ shell: 'echo $npm_config_cache' })).stdout.trim();
    expect(cache).toBe(join(scratch(`mine-${run}`), 'npm'));
    expect((await theirs.exec({ shell: `ls ${cache}` })).exitCode).not.toBe(0);
    expect(existsSync(scratch(`theirs-${run}`))).toBe(true);
    await provider.destroy(`theirs-${run}`);
    expect(existsSync(scratch(`theirs-${run}`))).toBe(false);
  });

  it('gives commands no network (only installs and the terminal share the host network)', async () => {
    const { url } = await mine.startDevServer();
    const port = new URL(url).port;
    const res = await mine.exec({
      argv: [
        'node',
        '-e',
        `require('net').connect(${port}, '127.0.0.1').on('connect', () => console.log('reached')).on('error', (e) => console.log(e.code))`,
      ],
    });
    expect(res.stdout.trim()).toBe('ECONNREFUSED');
    expect((await fetch(url)).status).toBe(200);
  });
});
