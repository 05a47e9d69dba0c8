/** Settings a spawned sandbox needs from this machine to install packages (registry, CA, proxies). */
const PASS_THROUGH = ['npm_config_registry', 'NODE_EXTRA_CA_CERTS', 'npm_config_cafile', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

/**
 * The environment for an API server process spawned by a test (`bun apps/api/src/main.ts`): only
 * what it needs, never the test runner's whole environment.
 */
export function apiServerEnv(
  opts: { port: number; databaseUrl: string; dataDir: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    PORT: String(opts.port),
    HOST: '127.0.0.1',
    DATABASE_URL: opts.databaseUrl,
    LATHE_DATA_DIR: opts.dataDir,
    LATHE_SANDBOX: 'local',
    ...extra,
  };
  for (const name of PASS_THROUGH) {
    const value = process.env[name];
    if (value && !(name in env)) env[name] = value;
  }
  return env;
}
