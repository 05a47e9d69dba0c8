import { deflateSync } from 'node:zlib';
import { heredoc, phaseJson, type ScriptedModel, startScriptedModel } from '@lathe/agent';
import type { AgentEvent, ServerFrame } from '@lathe/protocol';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, FrameSocket, previewLogin, requestWithHost, signUp, socketUrl, type TestUser } from './helpers';

/** A real 2×2 PNG (red, green, blue, white), built by hand: signature, IHDR, IDAT, IEND. */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PNG = tinyPng();
const APP = `export default function App() {\n  return <img src="/logo.png" alt="logo" />;\n}\n`;
const UPLOAD_MAX = 64 * 1024;

describe('file operations: create, upload (binaries too), move, delete; live, versioned, committed, authorized', () => {
  let model: ScriptedModel;
  let api: ApiProcess;
  let owner: TestUser;
  let other: TestUser;
  let projectId: string;
  /** A second tab of the owner's: it must see every change live. */
  let tab: FrameSocket;

  const base = () => `${api.url}/api/projects/${projectId}`;
  const call = (method: string, path: string, body?: unknown, cookie = owner.cookie) =>
    fetch(`${base()}${path}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  const paths = async () => ((await (await call('GET', '/files')).json()) as { path: string }[]).map((f) => f.path);
  const changed = (after: number) => (f: ServerFrame) => f.frame === 'event' && f.event.seq > after && f.event.type === 'files_changed';
  const lastSeq = () => tab.events().at(-1)?.seq ?? 0;
  const commits = async () =>
    (
      (await (await fetch(`${base()}/git`, { headers: { cookie: owner.cookie } })).json()) as { commits: { message: string }[] }
    ).commits.map((c) => c.message);

  beforeAll(async () => {
    model = await startScriptedModel({
      script: [
        { role: 'designer', kind: 'reply', content: phaseJson(['src/Caption.tsx'], 'Caption') },
        // Held: the agent is busy while the test tries structural changes.
        {
          role: 'implementer',
          kind: 'hold',
          afterChars: 45,
          content: `${heredoc('src/Caption.tsx', 'export function Caption() {\n  return <p>caption</p>;\n}\n')}\nI'll also move the logo:\n\n\`\`\`bash\nmv public/logo.png public/brand-logo.png\n\`\`\`\n`,
        },
        // Told the move was refused (the logo is an upload), the model leaves it be.
        { role: 'implementer', kind: 'reply', content: 'Understood: the logo stays at public/logo.png.' },
      ],
    });
    api = await ApiProcess.start({
      LATHE_LLM_BASE_URL: model.url,
      LATHE_LLM_API_KEY: 'test-key',
      LATHE_MODEL: 'scripted',
      LATHE_CHROMIUM_PATH: 'none',
      LATHE_FIX_ROUNDS: '0',
      LATHE_UPLOAD_MAX_BYTES: String(UPLOAD_MAX),
      // Every change its own version, so a version with the image can be restored after its delete.
      LATHE_EDIT_BURST_MS: '0',
    });
    owner = await signUp(api, 'files-owner');
    other = await signUp(api, 'files-other');
    const project = (await client(api, owner.cookie).POST('/api/projects', { body: { prompt: 'A logo page', start: false } })).data;
    if (!project) throw new Error('no project');
    projectId = project.id;
    tab = new FrameSocket(socketUrl(api, projectId), { cookie: owner.cookie });
    await tab.opened;
    await tab.next((f) => f.frame === 'snapshot');
  });

  afterAll(async () => {
    tab?.close();
    await api?.dispose();
    await model?.close();
  });

  it('creates files and folders, refusing taken paths and unsafe names', async () => {
    let at = lastSeq();
    const created = await call('POST', '/files', { path: 'src/App.tsx', kind: 'file', content: APP });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ written: ['src/App.tsx'], deleted: [], moved: [] });
    expect(await tab.next(changed(at))).toMatchObject({ event: { payload: { written: ['src/App.tsx'] } } });

    at = lastSeq();
    const folder = await call('POST', '/files', { path: 'src/parts', kind: 'folder' });
    expect(await folder.json()).toEqual({ written: ['src/parts/.gitkeep'], deleted: [], moved: [] });
    await tab.next(changed(at));
    expect(await call('POST', '/files', { path: 'notes.md', kind: 'file' })).toHaveProperty('status', 201);

    const refusals: [unknown, number, string][] = [
      [{ path: 'src/App.tsx', kind: 'file' }, 409, 'path_exists'],
      [{ path: 'src/parts', kind: 'file' }, 409, 'path_exists'],
      [{ path: 'src/App.tsx/inner.ts', kind: 'file' }, 409, 'path_exists'],
      [{ path: '../outside.ts', kind: 'file' }, 422, 'invalid_path'],
      [{ path: '/etc/passwd', kind: 'file' }, 422, 'invalid_path'],
      [{ path: 'node_modules/x.js', kind: 'file' }, 422, 'invalid_path'],
      [{ path: 'src/evil\u202Egpj.ts', kind: 'file' }, 422, 'invalid_path'],
      [{ path: 'src/x.ts', kind: 'symlink' }, 422, 'validation_failed'],
    ];
    for (const [body, status, code] of refusals) {
      const res = await call('POST', '/files', body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect((await json(res)).error).toMatchObject({ code });
    }
    expect((await paths()).sort()).toEqual(['notes.md', 'src/App.tsx', 'src/parts/.gitkeep']);
  });

  it('uploads a PNG as bytes: stored, served by the preview, zipped, never over the limit', async () => {
    const at = lastSeq();
    const up = await call('POST', '/files/upload', { path: 'public/logo.png', content: PNG.toString('base64') });
    expect(up.status).toBe(200);
    const body = (await up.json()) as { file: { encoding: string; size: number }; changes: unknown };
    expect(body.file).toMatchObject({ encoding: 'base64', size: PNG.length });
    expect(await tab.next(changed(at))).toMatchObject({ event: { payload: { written: ['public/logo.png'] } } });

    const read = await json(await call('GET', '/file?path=public%2Flogo.png'));
    expect(read).toMatchObject({ encoding: 'base64', content: PNG.toString('base64') });
    // A text upload stays text (the editor and the agent can read it).
    const text = await call('POST', '/files/upload', { path: 'docs/readme.md', content: Buffer.from('# Hi ✓\n').toString('base64') });
    expect(((await text.json()) as { file: { encoding: string } }).file.encoding).toBe('utf8');

    expect(
      (await json(await call('POST', '/files/upload', { path: 'public/logo.png', content: PNG.toString('base64') }))).error,
    ).toMatchObject({
      code: 'path_exists',
    });
    const replaced = await call('POST', '/files/upload', { path: 'public/logo.png', content: PNG.toString('base64'), overwrite: true });
    expect(replaced.status).toBe(200);
    const tooBig = await call('POST', '/files/upload', {
      path: 'public/big.bin',
      content: Buffer.alloc(UPLOAD_MAX + 1, 7).toString('base64'),
    });
    expect(tooBig.status).toBe(413);
    expect((await json(tooBig)).error).toMatchObject({
      code: 'file_too_large',
      message: expect.stringContaining('LATHE_UPLOAD_MAX_BYTES'),
    });
    const notBase64 = await call('POST', '/files/upload', { path: 'public/x.png', content: 'not base64!' });
    expect(notBase64.status).toBe(422);

    // The preview's dev server (started from the stored files) serves the exact bytes.
    const preview = await previewLogin(api, owner.cookie, projectId);
    let served = await requestWithHost(api, preview.host, '/logo.png', { cookie: preview.cookie });
    for (let i = 0; i < 120 && !(served.status === 200 && served.bytes.equals(PNG)); i++) {
      await new Promise((r) => setTimeout(r, 500));
      served = await requestWithHost(api, preview.host, '/logo.png', { cookie: preview.cookie });
    }
    expect(served.status).toBe(200);
    expect(served.bytes.equals(PNG)).toBe(true);

    const zip = unzipSync(new Uint8Array(await (await call('GET', '/download')).arrayBuffer()));
    const logo = Object.entries(zip).find(([name]) => name.endsWith('/public/logo.png'))?.[1];
    expect(logo && Buffer.from(logo).equals(PNG)).toBe(true);
  });

  it('moves a folder and renames a file, refusing a taken target; the running sandbox follows', async () => {
    let at = lastSeq();
    const moved = await call('POST', '/files/move', { from: 'docs', to: 'guide' });
    expect(await moved.json()).toEqual({ written: [], deleted: [], moved: [{ from: 'docs/readme.md', to: 'guide/readme.md' }] });
    expect(await tab.next(changed(at))).toMatchObject({
      event: { payload: { moved: [{ from: 'docs/readme.md', to: 'guide/readme.md' }] } },
    });

    at = lastSeq();
    const renamed = await call('POST', '/files/move', { from: 'public/logo.png', to: 'public/brand.png' });
    expect(renamed.status).toBe(200);
    await tab.next(changed(at));
    const preview = await previewLogin(api, owner.cookie, projectId);
    // Vite learns of a new public file from its watcher: polled, as a user's reload would be.
    let brand = await requestWithHost(api, preview.host, '/brand.png', { cookie: preview.cookie });
    for (let i = 0; i < 40 && !brand.bytes.equals(PNG); i++) {
      await new Promise((r) => setTimeout(r, 250));
      brand = await requestWithHost(api, preview.host, '/brand.png', { cookie: preview.cookie });
    }
    expect(brand.bytes.equals(PNG)).toBe(true);
    expect((await json(await call('POST', '/files/move', { from: 'public/brand.png', to: 'public/logo.png' }))).moved).toHaveLength(1);

    expect((await call('POST', '/files/move', { from: 'notes.md', to: 'src/App.tsx' })).status).toBe(409);
    expect((await call('POST', '/files/move', { from: 'notes.md', to: 'src/App.tsx/notes.md' })).status).toBe(409);
    expect((await call('POST', '/files/move', { from: 'src', to: 'src/inner' })).status).toBe(422);
    expect((await call('POST', '/files/move', { from: 'missing.txt', to: 'found.txt' })).status).toBe(404);
    expect((await call('POST', '/files/move', { from: 'notes.md', to: '../notes.md' })).status).toBe(422);
    expect((await paths()).sort()).toEqual(['guide/readme.md', 'notes.md', 'public/logo.png', 'src/App.tsx', 'src/parts/.gitkeep']);
  });

  it('deletes; a version from before the delete brings the image back byte for byte; every change is a commit', async () => {
    const withLogo = (await (await call('GET', '/versions')).json()) as { seq: number }[];
    const before = withLogo[0]?.seq ?? 0;
    let at = lastSeq();
    const deleted = await call('DELETE', '/files?path=public');
    expect(await deleted.json()).toEqual({ written: [], deleted: ['public/logo.png'], moved: [] });
    expect(await tab.next(changed(at))).toMatchObject({ event: { payload: { deleted: ['public/logo.png'] } } });
    expect((await call('DELETE', '/files?path=public')).status).toBe(404);
    expect(await paths()).not.toContain('public/logo.png');

    at = lastSeq();
    const restored = await call('POST', `/versions/${before}/restore`);
    expect(restored.status).toBe(200);
    const read = await json(await call('GET', '/file?path=public%2Flogo.png'));
    expect(read).toMatchObject({ encoding: 'base64', content: PNG.toString('base64') });
    const preview = await previewLogin(api, owner.cookie, projectId);
    let served = await requestWithHost(api, preview.host, '/logo.png', { cookie: preview.cookie });
    for (let i = 0; i < 40 && !served.bytes.equals(PNG); i++) {
      await new Promise((r) => setTimeout(r, 250));
      served = await requestWithHost(api, preview.host, '/logo.png', { cookie: preview.cookie });
    }
    expect(served.bytes.equals(PNG)).toBe(true);

    let messages: string[] = [];
    for (let i = 0; i < 40 && !messages.includes('Delete public'); i++) {
      messages = await commits();
      if (!messages.includes('Delete public')) await new Promise((r) => setTimeout(r, 250));
    }
    for (const m of ['Create src/App.tsx', 'Create folder src/parts', 'Upload public/logo.png', 'Rename docs to guide', 'Delete public']) {
      expect(messages).toContain(m);
    }
  });

  it('refuses structural changes while the agent works (409), and never shows a binary to the model as text', async () => {
    const at = lastSeq();
    tab.send({ type: 'generate', description: 'A logo page with a caption' });
    await tab.next((f) => f.frame === 'event' && f.event.seq > at && f.event.type === 'file_start', 120_000);
    for (const res of [
      await call('POST', '/files', { path: 'src/new.ts', kind: 'file' }),
      await call('POST', '/files/upload', { path: 'public/new.png', content: PNG.toString('base64') }),
      await call('POST', '/files/move', { from: 'notes.md', to: 'notes2.md' }),
      await call('DELETE', '/files?path=notes.md'),
    ]) {
      expect(res.status).toBe(409);
      expect((await json(res)).error).toMatchObject({ code: 'busy' });
    }
    model.release();
    const end = await tab.next(
      (f) => f.frame === 'event' && f.event.seq > at && (f.event.type === 'generation_complete' || f.event.type === 'error'),
      170_000,
    );
    const ended = (end as { event: AgentEvent }).event;
    expect(ended.type === 'error' ? ended.payload : ended.type).toBe('generation_complete');
    const prompts = model.requests.map((r) => r.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n'));
    expect(prompts.some((p) => p.includes('public/logo.png') || p.includes('logo.png'))).toBe(true);
    for (const p of prompts) expect(p).not.toContain(PNG.toString('base64').slice(0, 40));
    // The model's `mv` of the uploaded image was refused: it is where it was, still bytes.
    expect(await json(await call('GET', '/file?path=public%2Flogo.png'))).toMatchObject({
      encoding: 'base64',
      content: PNG.toString('base64'),
    });
    expect(await paths()).not.toContain('public/brand-logo.png');
    // The round's sync wrote the stored binary to the sandbox as bytes.
    const preview = await previewLogin(api, owner.cookie, projectId);
    expect((await requestWithHost(api, preview.host, '/logo.png', { cookie: preview.cookie })).bytes.equals(PNG)).toBe(true);
  });

  it("another user's project: every file operation is 404 and changes nothing", async () => {
    const before = (await paths()).sort();
    for (const res of [
      await call('POST', '/files', { path: 'x.ts', kind: 'file' }, other.cookie),
      await call('POST', '/files/upload', { path: 'x.png', content: PNG.toString('base64') }, other.cookie),
      await call('POST', '/files/move', { from: 'notes.md', to: 'y.md' }, other.cookie),
      await call('DELETE', '/files?path=notes.md', undefined, other.cookie),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'project not found' } });
    }
    expect((await paths()).sort()).toEqual(before);
  });
});
