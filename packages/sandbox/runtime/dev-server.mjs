// Starts the project's Vite dev server with the settings the preview depends on, whatever the
// project's vite.config says: bind address and port, any Host accepted (the preview proxy uses
// another host name), a project-local optimizer cache (node_modules may be a shared store).
// Errors Vite reports (overlay and pre-transform) are also printed as one-line JSON markers so
// the sandbox can return them as structured diagnostics.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();
const port = Number(process.env.LATHE_DEV_PORT);
const host = process.env.LATHE_DEV_HOST || '127.0.0.1';
const MARK = '__LATHE_DIAG__';
// Terminal colour codes in Vite's messages.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const requireFromProject = createRequire(join(root, 'package.json'));
const vite = await import(pathToFileURL(requireFromProject.resolve('vite')).href);

function report(err) {
  if (!err || typeof err !== 'object') return;
  const loc = err.loc && typeof err.loc === 'object' ? err.loc : {};
  const diag = {
    file: typeof (loc.file ?? err.id) === 'string' ? (loc.file ?? err.id) : null,
    line: Number.isInteger(loc.line) ? loc.line : null,
    column: Number.isInteger(loc.column) ? loc.column : null,
    message: String(err.message ?? err)
      .replace(ANSI, '')
      .slice(0, 4000),
  };
  process.stdout.write(`\n${MARK}${JSON.stringify(diag)}\n`);
}

const base = vite.createLogger('info', { allowClearScreen: false });
const logger = {
  ...base,
  error(msg, opts) {
    if (opts?.error) report(opts.error);
    base.error(msg, opts);
  },
};

// The sandbox polls this path until it answers with the nonce it gave this process: another
// server that grabbed the same port can never be mistaken for ours.
const nonce = process.env.LATHE_DEV_NONCE || '';
const ready = {
  name: 'lathe-ready',
  configureServer(server) {
    server.middlewares.use('/__lathe/ready', (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(nonce);
    });
  },
};

const server = await vite.createServer({
  root,
  plugins: [ready],
  cacheDir: join(root, '.vite'),
  customLogger: logger,
  clearScreen: false,
  server: { host, port, strictPort: true, allowedHosts: true },
});

// Errors pushed to the browser overlay.
const hot = server.environments?.client?.hot ?? server.ws;
const send = hot.send.bind(hot);
hot.send = (payload, ...rest) => {
  if (payload && typeof payload === 'object' && payload.type === 'error') report(payload.err);
  return send(payload, ...rest);
};

await server.listen();
server.printUrls();

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close().finally(() => process.exit(0));
  });
}
