// Starts the project's Vite dev server with the settings the preview depends on, whatever the
// project's vite.config says: bind address and port, a project-local optimizer cache
// (node_modules may be a shared store), and the server's exposure kept to what the preview proxy
// needs: only loopback Host names (the proxy connects to 127.0.0.1; a page that rebinds its own
// name to 127.0.0.1 sends that name and is refused) and files only from the project and its
// dependencies (Vite would otherwise serve `/@fs/` up to the enclosing workspace, which may hold
// the server's data dir). Errors Vite reports (overlay and pre-transform) are also printed as
// one-line JSON markers so the sandbox can return them as structured diagnostics, and so are the
// errors the page itself reports: a small reporter is put first into the HTML the server serves
// (uncaught errors, unhandled rejections, console.error, failed loads); it posts them to
// `/__lathe/runtime` on this same server (through the preview proxy), and tells the page that
// embeds the preview. The reporter swallows its own failures: it never breaks the app.
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();
const port = Number(process.env.LATHE_DEV_PORT);
const host = process.env.LATHE_DEV_HOST || '127.0.0.1';
// Jailed with no network: listen on this unix socket (the sandbox forwards a host port to it).
const socketPath = process.env.LATHE_DEV_SOCKET || null;
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

// ---- runtime errors reported by the page ------------------------------------------------------

const RUNTIME_PATH = '/__lathe/runtime';
const MAX_REPORT_BYTES = 16 * 1024;
// At most this many reports a minute reach the sandbox: a page that throws in a loop cannot flood it.
const MAX_REPORTS_PER_MINUTE = 60;
let reports = 0;
let reportWindow = Date.now();

// Runs in the preview page before the app. Plain ES5-ish code, every path in try/catch.
const REPORTER = `(function () {
  if (window.__latheReporter) return;
  window.__latheReporter = true;
  var seen = {}, sent = 0;
  var NOISE = /unique "key" prop|validateDOMNesting|cannot be a descendant of|cannot contain a nested|React DevTools|Download the React/;
  function text(a) {
    try {
      if (a instanceof Error) return a.message;
      if (typeof a === 'string') return a;
      return JSON.stringify(a);
    } catch (e) { return String(a); }
  }
  function send(kind, message, stack) {
    try {
      message = String(message || 'Unknown error').slice(0, 2000);
      if (kind === 'console' && NOISE.test(message)) return;
      var key = kind + ':' + message;
      if (seen[key] || sent >= 30) return;
      seen[key] = true; sent++;
      try { if (window.parent !== window) window.parent.postMessage({ type: 'lathe:runtime-error', kind: kind, message: message }, '*'); } catch (e) {}
      var body = JSON.stringify({ kind: kind, message: message, stack: String(stack || '').slice(0, 4000), page: location.pathname });
      fetch('${RUNTIME_PATH}', { method: 'POST', body: body, keepalive: true, headers: { 'content-type': 'application/json' } }).catch(function () {});
    } catch (e) {}
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.tagName === 'SCRIPT' || t.tagName === 'LINK')) { send('load', 'Failed to load ' + (t.src || t.href)); return; }
    var err = e.error;
    send('error', err && err.message ? err.message : e.message, err && err.stack ? err.stack : (e.filename ? e.filename + ':' + e.lineno + ':' + e.colno : ''));
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    var r = e.reason;
    send('rejection', 'Unhandled promise rejection: ' + (r && r.message ? r.message : text(r)), r && r.stack);
  });
  var original = console.error;
  console.error = function () {
    try {
      var args = Array.prototype.slice.call(arguments);
      var first = typeof args[0] === 'string' ? args[0] : null;
      var rest = first ? args.slice(1) : args;
      var message = first ? first.replace(/%[sdoOif]/g, function () { return rest.length ? text(rest.shift()) : ''; }) : '';
      var more = rest.map(text).join(' ');
      var error = null;
      for (var i = 0; i < args.length; i++) if (args[i] instanceof Error) error = args[i];
      send('console', (message + ' ' + more).trim(), error && error.stack);
    } catch (e) {}
    return original.apply(this, arguments);
  };
})();`;

/** Decodes one source map's mappings into, per generated line, [generatedColumn, originalLine] pairs. */
function decodeMappings(mappings) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lines = [];
  let source = 0;
  let origLine = 0;
  let origCol = 0;
  for (const lineText of mappings.split(';')) {
    const segments = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (!seg) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        if (digit < 0) return lines;
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += values[0] ?? 0;
      if (values.length >= 4) {
        source += values[1];
        origLine += values[2];
        origCol += values[3];
        segments.push([genCol, origLine]);
      }
    }
    lines.push(segments);
  }
  void source;
  void origCol;
  return lines;
}

/** The project file and original line of the first stack frame in the app's own code, where it can be found. */
function locate(stack, server) {
  const frame = /https?:\/\/[^/\s]+\/(src\/[^?:\s)]+)(?:\?[^:\s)]*)?:(\d+):(\d+)/.exec(stack);
  if (!frame) return { file: null, line: null, column: null };
  const file = decodeURIComponent(frame[1]);
  let line = Number(frame[2]);
  const column = Number(frame[3]);
  try {
    const graph = server.environments?.client?.moduleGraph ?? server.moduleGraph;
    const mod = graph.getModuleById?.(join(root, file)) ?? null;
    const map = mod?.transformResult?.map;
    if (map && typeof map.mappings === 'string') {
      const segments = decodeMappings(map.mappings)[line - 1] ?? [];
      let best = null;
      for (const [col, orig] of segments) if (col <= column - 1) best = orig;
      if (best === null && segments[0]) best = segments[0][1];
      if (best !== null) line = best + 1;
    }
  } catch {
    // No map: the line of the served module is the best we have.
  }
  return { file, line, column: null };
}

const runtimeReports = {
  name: 'lathe-runtime-reports',
  transformIndexHtml: {
    order: 'pre',
    handler() {
      return [{ tag: 'script', children: REPORTER, injectTo: 'head-prepend' }];
    },
  },
  configureServer(server) {
    server.middlewares.use(RUNTIME_PATH, (req, res) => {
      if (req.method !== 'POST') {
        res.statusCode = 405;
        return res.end();
      }
      let size = 0;
      const chunks = [];
      let refused = false;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > MAX_REPORT_BYTES) {
          refused = true;
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        res.statusCode = 204;
        res.end();
        if (Date.now() - reportWindow > 60_000) {
          reportWindow = Date.now();
          reports = 0;
        }
        if (refused || reports >= MAX_REPORTS_PER_MINUTE) return;
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return;
        }
        if (!body || typeof body !== 'object' || typeof body.message !== 'string') return;
        const kind = ['error', 'rejection', 'console', 'load'].includes(body.kind) ? body.kind : 'error';
        const stack = typeof body.stack === 'string' ? body.stack.slice(0, 4000) : '';
        reports++;
        const where = locate(stack, server);
        process.stdout.write(
          `\n${MARK}${JSON.stringify({ source: 'runtime', kind, ...where, message: body.message.replace(ANSI, '').slice(0, 2000) })}\n`,
        );
      });
    });
  },
};

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
// Build tools and type packages: never imported by the page.
const NOT_FOR_THE_PAGE =
  /^(@types\/|typescript$|vite$|@vitejs\/|tailwindcss$|@tailwindcss\/|postcss|autoprefixer|eslint|@eslint\/|prettier|vitest|@biomejs\/)/;

/**
 * The project's own runtime dependencies that are installed: bundled with React at start-up too,
 * so a library installed while the app runs (the server restarts after an install) is part of the
 * first optimisation instead of a re-bundle under an open page.
 */
function projectDependencies() {
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const names = Object.keys(manifest && typeof manifest.dependencies === 'object' ? manifest.dependencies : {});
    return names.filter((name) => !NOT_FOR_THE_PAGE.test(name) && existsSync(join(deps, name, 'package.json')) && hasBrowserEntry(name));
  } catch {
    return [];
  }
}

/** Whether a package has something to import (CSS-only and types-only packages have not). */
function hasBrowserEntry(name) {
  try {
    const pkg = JSON.parse(readFileSync(join(deps, name, 'package.json'), 'utf8'));
    if (pkg.exports || pkg.module || pkg.browser) return true;
    const main = typeof pkg.main === 'string' ? pkg.main : 'index.js';
    return /\.(c|m)?js$/.test(main)
      ? existsSync(join(deps, name, main))
      : existsSync(join(deps, name, `${main}.js`)) || existsSync(join(deps, name, main, 'index.js'));
  } catch {
    return false;
  }
}

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
    config.optimizeDeps.include = [...new Set([...(config.optimizeDeps.include ?? []), ...preinstalled, ...projectDependencies()])];
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
  plugins: [ready, confine, runtimeReports],
  cacheDir: join(root, '.vite'),
  customLogger: logger,
  clearScreen: false,
  server: socketPath ? { host: '127.0.0.1', strictPort: true } : { host, port, strictPort: true },
});

// Errors pushed to the browser overlay.
const hot = server.environments?.client?.hot ?? server.ws;
const send = hot.send.bind(hot);
hot.send = (payload, ...rest) => {
  if (payload && typeof payload === 'object' && payload.type === 'error') report(payload.err);
  return send(payload, ...rest);
};

if (socketPath) {
  // Vite's own listen() takes a port; its http server's listen (which Vite wraps to start its
  // optimizer first) takes a socket path. A socket left by an earlier run is removed first.
  rmSync(socketPath, { force: true });
  await new Promise((resolve, reject) => {
    server.httpServer.once('error', reject);
    server.httpServer.listen(socketPath, resolve);
  });
  logger.info(`  ➜  Listening on ${socketPath} (no network in this sandbox; the host forwards the preview's port to it)`);
} else {
  await server.listen();
  server.printUrls();
}

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
