/**
 * The only host variables a sandboxed process may inherit. Everything else (DATABASE_URL, auth
 * secrets, LLM keys, the encryption key, …) is dropped by construction, not by a deny-list.
 */
const PASS_THROUGH = [
  'LANG',
  'LC_ALL',
  'TZ',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'npm_config_registry',
  'npm_config_cafile',
  'npm_config_strict_ssl',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** Variables holding a URL that may embed the operator's credentials (`http://user:pass@proxy:3128`). */
const URL_VARIABLES = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'npm_config_registry']);

/**
 * The URL without its `user:password@` part: generated code must not read the operator's proxy or
 * registry credentials (an authenticated proxy then needs a credential-free forwarder in front).
 */
export function withoutCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s]*@/i, '$1');
}

export interface NpmSettings {
  registry: string | null;
  cafile: string | null;
}

/** The base environment of every sandboxed process; `extra` wins over inherited values. */
export function sandboxEnv(host: NodeJS.ProcessEnv, fixed: Record<string, string>, npm: NpmSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASS_THROUGH) {
    const v = host[name];
    if (v !== undefined) env[name] = URL_VARIABLES.has(name) ? withoutCredentials(v) : v;
  }
  if (npm.registry && !env.npm_config_registry) env.npm_config_registry = withoutCredentials(npm.registry);
  if (npm.cafile && !env.npm_config_cafile) env.npm_config_cafile = npm.cafile;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  // Node's WebAssembly guard regions and glibc's per-thread arenas reserve gigabytes of address
  // space; without these, Vite/Tailwind die under an address-space limit they never come near in RSS.
  env.NODE_OPTIONS = '--disable-wasm-trap-handler';
  env.MALLOC_ARENA_MAX = '2';
  return { ...env, ...fixed };
}
