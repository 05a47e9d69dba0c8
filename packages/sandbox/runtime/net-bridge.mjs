// Runs a command (an install, the terminal's shell) inside a jail that has no network of its own,
// giving it one way out: a local TCP port that carries each connection to the server's registry
// proxy on a unix socket (bound into the jail). npm and other tools find it through the usual
// proxy variables. Usage: node net-bridge.mjs <proxy socket> -- <command> [args...]
import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const [socketPath, dashes, command, ...args] = process.argv.slice(2);
if (!socketPath || dashes !== '--' || !command) {
  process.stderr.write('usage: net-bridge.mjs <proxy socket> -- <command> [args...]\n');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, '127.0.0.1', () => {
  const proxy = `http://127.0.0.1:${server.address().port}`;
  const env = { ...process.env };
  // The registry is reachable only through the proxy: nothing may bypass it.
  for (const name of ['NO_PROXY', 'no_proxy', 'npm_config_noproxy']) delete env[name];
  Object.assign(env, {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    npm_config_proxy: proxy,
    npm_config_https_proxy: proxy,
  });
  // fd 3 (the terminal's resize channel) is passed on when there is one.
  const child = spawn(command, args, { stdio: [0, 1, 2, hasFd3() ? 3 : 'ignore'], env });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`${command}: ${e.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});

function hasFd3() {
  try {
    fstatSync(3);
    return true;
  } catch {
    return false;
  }
}
