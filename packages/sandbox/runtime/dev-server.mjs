// Starts the project's Vite dev server with the settings the preview depends on, whatever the
// project's vite.config says: bind address and port, a project-local optimizer cache
// (node_modules may be a shared store), and the server's exposure kept to what the preview proxy
// needs: only loopback Host names (the proxy connects to 127.0.0.1; a page that rebinds its own
// name to 127.0.0.1 sends that name and is refused) and files only from the project and its
// dependencies (Vite would otherwise serve `/@fs/` up to the enclosing workspace, which may hold
// the server's data dir). Errors Vite reports (overlay and pre-transform) are also printed as
// one-line JSON markers so the sandbox can return them as structured diagnostics.
import { existsSync, realpathSync } from 'node:fs';
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

// Host names the dev server answers to: the proxy's loopback connection only.
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The host name of a Host header without its port, lower-cased; null when absent or malformed. */
function hostNameOf(header) {
  if (typeof header !== 'string') return null;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match ? match[1].toLowerCase() : null;
}

// Directories Vite may read files from: the project, and its dependencies wherever they really
// live (node_modules may be a symlink to the shared template store).
const servedRoots = [realpathSync(root)];
const deps = join(root, 'node_modules');
if (existsSync(deps)) servedRoots.push(realpathSync(deps));

const PREBUNDLE = ['lucide-react', 'clsx'];

const confine = {
  name: 'lathe-confine',
  enforce: 'post',
  // Runs after the project's own config and plugins, and replaces (not merges) what they set.
  config(config) {
    config.server ??= {};
    config.server.allowedHosts = [];
    config.server.fs = { ...(config.server.fs ?? {}), strict: true, allow: servedRoots };
    // The template's preinstalled helpers are bundled with React at start-up: found later, at
    // their first import, Vite re-bundles its dependencies under a page still holding the old
    // React ("Invalid hook call") until it reloads.
    const preinstalled = PREBUNDLE.filter((name) => existsSync(join(deps, name, 'package.json')));
    config.optimizeDeps ??= {};
    config.optimizeDeps.include = [...new Set([...(config.optimizeDeps.include ?? []), ...preinstalled])];
  },
  configureServer(server) {
    // Installed before Vite's own middlewares: nothing is served to a foreign Host.
    server.middlewares.use((req, res, next) => {
      if (LOOPBACK_NAMES.has(hostNameOf(req.headers.host))) return next();
      res.statusCode = 403;
      res.setHeader('content-type', 'text/plain');
      res.end('Forbidden: this dev server answers only the Lathe preview proxy.');
    });
  },
};

const server = await vite.createServer({
  root,
  plugins: [ready, confine],
  cacheDir: join(root, '.vite'),
  customLogger: logger,
  clearScreen: false,
  server: { host, port, strictPort: true },
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

// The HMR socket: Vite's own check (allowedHosts) lets any IP address through; hold upgrades to
// the same loopback rule as HTTP by putting a guard in front of Vite's upgrade listeners.
const httpServer = server.httpServer;
if (httpServer) {
  const upgradeListeners = httpServer.listeners('upgrade');
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req, socket, head) => {
    if (!LOOPBACK_NAMES.has(hostNameOf(req.headers.host))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    for (const listener of upgradeListeners) listener.call(httpServer, req, socket, head);
  });
}

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close().finally(() => process.exit(0));
  });
}
