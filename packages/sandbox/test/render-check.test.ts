import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenderChecker } from '../src/render-check';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A dev server that reloads its page under the check, as Vite does when a file lands or its
 * optimiser re-bundles just after the check started: the first document throws and reloads
 * itself while the check evaluates it; the next one renders.
 */
const RELOADING = `<!doctype html><html><body><div id="root"></div><script>
  setTimeout(() => { throw new Error('stale error from the replaced document'); }, 0);
  requestAnimationFrame(() => requestAnimationFrame(() => location.reload()));
</script></body></html>`;
const RENDERED = `<!doctype html><html><body><div id="root"><h1>Hello after the reload</h1></div></body></html>`;
/** A page that reloads itself for ever: reported as not loading, after a few reloads. */
const LOOPING = `<!doctype html><html><body><div id="root">Loading</div><script>
  requestAnimationFrame(() => location.reload());
</script></body></html>`;

describe('render check while the dev server reloads the page', () => {
  let server: Server;
  let origin: string;
  let loads = 0;
  const checker = new RenderChecker({ executablePath: CHROMIUM, timeoutMs: 20_000 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      if (req.url === '/loop') return res.end(LOOPING);
      if (req.url !== '/') return res.writeHead(404).end();
      loads++;
      res.end(loads === 1 ? RELOADING : RENDERED);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await checker.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('judges the document that replaced the one it loaded, without its stale errors', async () => {
    const result = await checker.check('reloading', `${origin}/`, () => []);
    expect(loads).toBe(2);
    expect(result).toMatchObject({ status: 'checked', blank: false, diagnostics: [] });
    expect(result.screenshot).toMatch(/^data:image\/jpeg;base64,/);
  }, 60_000);

  it('reports a page that never stops reloading as not loading, with a usable message', async () => {
    const quick = new RenderChecker({ executablePath: CHROMIUM, timeoutMs: 5_000 });
    const result = await quick.check('looping', `${origin}/loop`, () => []).finally(() => quick.close());
    expect(result.status).toBe('checked');
    expect(result.diagnostics.map((d) => d.message).join('\n')).toMatch(/did not finish loading/);
  }, 60_000);
});
