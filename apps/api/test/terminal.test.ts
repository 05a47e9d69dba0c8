import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentEvent, parseTerminalServerFrame, type TerminalServerFrame } from '@lathe/protocol';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import WebSocket from 'ws';
import { ApiProcess, signUp, type TestUser } from './helpers';

/** A terminal socket that keeps what the screen shows (without colours) and every frame. */
class Terminal {
  readonly frames: TerminalServerFrame[] = [];
  screen = '';
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private changed: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
    this.ws.on('message', (data) => {
      const parsed = parseTerminalServerFrame(data.toString());
      if (!parsed.ok) throw new Error(`bad frame: ${parsed.error}`);
      this.frames.push(parsed.value);
      const text = parsed.value.type === 'output' ? parsed.value.data : parsed.value.type === 'ready' ? parsed.value.replay : '';
      this.screen += text.replace(escapes, '');
      for (const wake of this.changed.splice(0)) wake();
    });
  }

  /** Waits until the screen (or the frames) satisfy `test`; the test's own timeout bounds it. */
  async until<T>(test: () => T | undefined | false): Promise<T> {
    for (;;) {
      const found = test();
      if (found !== undefined && found !== false) return found;
      await new Promise<void>((resolve) => {
        this.changed.push(resolve);
        this.ws.once('close', () => resolve());
      });
      if (this.ws.readyState === WebSocket.CLOSED) {
        const last = test();
        if (last !== undefined && last !== false) return last;
        throw new Error(`the terminal closed; it showed:\n${this.screen}`);
      }
    }
  }

  type(text: string): void {
    this.ws.send(JSON.stringify({ type: 'input', data: text }));
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}

describe.each(['local', 'docker'])('the project terminal (%s sandbox)', (provider) => {
  let api: ApiProcess;
  let owner: TestUser;
  let other: TestUser;
  let projectId: string;
  const url = (id: string, query = '?cols=100&rows=30') => `ws://127.0.0.1:${api.port}/api/projects/${id}/terminal${query}`;

  beforeAll(async () => {
    api = await ApiProcess.start({ LATHE_TERMINAL_IDLE_MS: '8000', LATHE_SANDBOX: provider });
    owner = await signUp(api, 'term-owner');
    other = await signUp(api, 'term-other');
    const res = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A notes app', start: false }),
    });
    projectId = ((await res.json()) as { id: string }).id;
    // A file the user saved before any sandbox existed: the terminal's sandbox is made from the stored files.
    const saved = await fetch(`${api.url}/api/projects/${projectId}/file`, {
      method: 'PUT',
      headers: { cookie: owner.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'notes/hello.txt', content: 'hello from the store\n' }),
    });
    expect(saved.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    await api?.dispose();
  });

  it('runs `ls src` and `node -e` in the project, cannot read the data dir, and logs the commands', async () => {
    onTestFailed(() => console.log(api.output));
    const term = new Terminal(url(projectId), { cookie: owner.cookie });
    await term.opened;
    await term.until(() => term.frames.find((f) => f.type === 'ready'));
    term.type('ls src; cat notes/hello.txt\r');
    await term.until(() => /App\.tsx[\s\S]*hello from the store/.test(term.screen));
    term.type('node -e "console.log(\'sum\', 6 * 7, process.stdout.isTTY)"\r');
    await term.until(() => /sum 42 true/.test(term.screen));
    // The project's own node_modules, not the read-only template store: a typed install can write.
    term.type('touch node_modules/.terminal-probe && echo "modules writable"\r');
    await term.until(() => /[\r\n]modules writable/.test(term.screen));

    // The server's data dir holds its generated secrets; from the jail it does not exist.
    const secrets = join(api.dataDir, 'secrets.json');
    expect(existsSync(secrets)).toBe(true);
    term.type(`cat ${secrets}; ls ${api.dataDir}; node -e "console.log('seen', require('fs').existsSync('${secrets}'))"\r`);
    await term.until(() => /seen false/.test(term.screen));
    expect(term.screen).toMatch(/No such file or directory/);
    expect(term.screen).not.toMatch(/authSecret/);

    // Resize: the shell sees the new size.
    term.send({ type: 'resize', cols: 120, rows: 40 });
    for (let i = 0; !/40 120/.test(term.screen); i++) {
      term.type('stty size\r');
      await term.until(() => (term.screen.match(/\d+ \d+\r?\n/g)?.length ?? 0) > i);
    }

    // A bad message is answered, and the session goes on.
    term.send({ type: 'resize', cols: 'wide' });
    await term.until(() => term.frames.find((f) => f.type === 'error' && f.error.code === 'bad_message'));

    // What the user typed shows in the project's logs (source exec).
    const logged = async () => {
      const res = await fetch(`${api.url}/api/projects/${projectId}/events?after=0`, { headers: { cookie: owner.cookie } });
      return ((await res.json()) as AgentEvent[]).flatMap((e) => (e.type === 'log' && e.payload.source === 'exec' ? [e.payload.text] : []));
    };
    let lines = await logged();
    while (!lines.includes('$ stty size')) lines = await logged();
    expect(lines).toContain('$ ls src; cat notes/hello.txt');
    expect(lines).toContain(`$ node -e "console.log('sum', 6 * 7, process.stdout.isTTY)"`);

    // A second window takes the terminal over, with the screen so far; the first is told and closed.
    const second = new Terminal(url(projectId), { cookie: owner.cookie });
    const ready = await second.until(() => second.frames.find((f) => f.type === 'ready'));
    expect(ready.type === 'ready' && ready.replay).toContain('hello from the store');
    expect(second.screen).toContain('sum 42 true');
    expect((await term.closed).code).toBe(4009);
    expect(term.frames.at(-1)).toEqual({ type: 'exit', reason: 'taken_over', code: null });
    second.type('exit\r');
    const exit = await second.until(() => second.frames.find((f) => f.type === 'exit'));
    expect(exit).toEqual({ type: 'exit', reason: 'exited', code: 0 });
    expect((await second.closed).code).toBe(1000);
  }, 180_000);

  it('reaches the npm registry, and not the API on the host (local: no tunnel elsewhere either)', async () => {
    onTestFailed(() => console.log(api.output));
    const term = new Terminal(url(projectId), { cookie: owner.cookie });
    await term.until(() => term.frames.find((f) => f.type === 'ready'));
    // Straight to the host's loopback: the jail (or container) has a network of its own, with nothing on it.
    term.type(
      `node -e "fetch('http://127.0.0.1:${api.port}/api/health').then((r) => console.log('direct', 'reached', r.status), (e) => console.log('direct', 'refused', e.cause?.code))"\r`,
    );
    await term.until(() => /direct (reached|refused)/.test(term.screen));
    expect(term.screen).toMatch(/direct refused ECONNREFUSED/);
    if (provider === 'local') {
      // The jail's only way out is the proxy npm is given: a tunnel to anything but the registry is refused.
      term.type(
        `node -e "require('http').request({ host: '127.0.0.1', port: new URL(process.env.HTTPS_PROXY).port, method: 'CONNECT', path: '127.0.0.1:${api.port}' }).on('connect', (r) => console.log('tunnel', r.statusCode)).on('error', (e) => console.log('tunnel', e.code)).end()"\r`,
      );
      await term.until(() => /tunnel \S+/.test(term.screen));
      expect(term.screen).toMatch(/tunnel 403/);
    }
    // The registry is reachable, as a typed install needs.
    term.type('npm view left-pad@1.3.0 version\r');
    await term.until(() => /1\.3\.0\r?\n/.test(term.screen) || /npm error/.test(term.screen));
    expect(term.screen).toMatch(/1\.3\.0\r?\n/);
    term.type('exit\r');
    await term.closed;
  }, 180_000);

  it("is the owner's only: anonymous 401, another user 404 (with their own token too), other origins 403", async () => {
    await expect(new Terminal(url(projectId)).opened).rejects.toThrow('status 401');
    await expect(new Terminal(url(projectId), { cookie: other.cookie }).opened).rejects.toThrow('status 404');
    const mine = await fetch(`${api.url}/api/projects`, {
      method: 'POST',
      headers: { cookie: other.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Mine', start: false }),
    });
    const otherProject = ((await mine.json()) as { id: string }).id;
    const token = (await (
      await fetch(`${api.url}/api/projects/${otherProject}/ws-token`, { headers: { cookie: other.cookie } })
    ).json()) as {
      token: string;
    };
    await expect(new Terminal(url(projectId, `?token=${encodeURIComponent(token.token)}`)).opened).rejects.toThrow('status 401');
    const previewOrigin = `http://${'a'.repeat(26)}.preview.localhost:${api.port}`;
    await expect(new Terminal(url(projectId), { cookie: owner.cookie, origin: previewOrigin }).opened).rejects.toThrow('status 403');
    await expect(new Terminal(url(projectId, '?cols=0'), { cookie: owner.cookie }).opened).rejects.toThrow('status 422');
  });

  it('closes a terminal nobody uses after LATHE_TERMINAL_IDLE_MS, ending its shell', async () => {
    const term = new Terminal(url(projectId), { cookie: owner.cookie });
    await term.until(() => term.frames.find((f) => f.type === 'ready'));
    term.type(`sleep 600 & echo "job $!"\r`);
    await term.until(() => /job \d+/.test(term.screen));
    const exit = await term.until(() => term.frames.find((f) => f.type === 'exit'));
    expect(exit).toEqual({ type: 'exit', reason: 'idle', code: null });
    expect((await term.closed).code).toBe(4010);
  }, 120_000);
});
