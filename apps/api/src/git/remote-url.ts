/** A remote URL the server may push to, and which credential it needs. */
export interface RemoteUrl {
  url: string;
  transport: 'https' | 'ssh';
  /** Host (and port) for messages. */
  host: string;
}

export type RemoteUrlCheck = { ok: true; remote: RemoteUrl } | { ok: false; message: string };

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;
/** A repository path: no option-looking start, no whitespace, controls, quotes or backslashes. */
const PATH = /^[A-Za-z0-9._~/@+-]+$/;

function hostOk(host: string): boolean {
  return (HOST.test(host) || IPV6.test(host)) && !host.startsWith('-');
}

function pathOk(path: string): boolean {
  return PATH.test(path) && !path.startsWith('-') && !path.split('/').some((part) => part === '..');
}

/**
 * The remote URL rule at the boundary: `https://host[:port]/path`, `ssh://[user@]host[:port]/path`
 * or scp-like `user@host:path`. Refused: every other scheme (`file://`, `ext::`, `http://`, …),
 * credentials inside the URL (they belong in Settings), anything that could read as an option.
 */
export function checkRemoteUrl(raw: string): RemoteUrlCheck {
  const url = raw.trim();
  const refuse = (message: string): RemoteUrlCheck => ({ ok: false, message });
  if (url.length === 0) return refuse('enter a remote URL');
  if (url.length > 500) return refuse('the remote URL is too long (500 characters at most)');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
  if (/[\s\u0000-\u001f\u007f"'`\\]/.test(url)) return refuse('the remote URL must not contain spaces, quotes or control characters');
  if (url.startsWith('-')) return refuse('the remote URL must not start with "-"');
  if (url.includes('::')) return refuse('transport helpers (such as ext::) are not allowed');

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== 'https' && scheme !== 'ssh') {
      return refuse(`${scheme}:// remotes are not allowed: use https://, ssh:// or git@host:path`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return refuse('the remote URL is not a valid URL');
    }
    if (parsed.search || parsed.hash) return refuse('the remote URL must not have a query or a fragment');
    if (!hostOk(parsed.hostname)) return refuse('the remote URL has an invalid host');
    const path = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!path || !pathOk(path)) return refuse('the remote URL needs a repository path (letters, digits, . _ ~ / - only)');
    const host = parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
    if (scheme === 'https') {
      if (parsed.username || parsed.password) {
        return refuse('put the token in Settings → Git, not in the URL');
      }
      return { ok: true, remote: { url: `https://${host}/${path}`, transport: 'https', host } };
    }
    if (parsed.password) return refuse('an ssh:// URL must not hold a password');
    if (parsed.username && !USER.test(decodeURIComponent(parsed.username))) return refuse('the remote URL has an invalid user name');
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return { ok: true, remote: { url: `ssh://${user}${host}/${path}`, transport: 'ssh', host } };
  }

  // scp-like: user@host:path (git reads it so only without a slash before the colon).
  const scp = /^([^@/:]+)@([^@/:]+):(.+)$/.exec(url);
  if (!scp) return refuse('use https://host/owner/repo.git, ssh://git@host/owner/repo.git or git@host:owner/repo.git');
  const [, user = '', host = '', path = ''] = scp;
  if (!USER.test(user)) return refuse('the remote URL has an invalid user name');
  if (!hostOk(host)) return refuse('the remote URL has an invalid host');
  if (!pathOk(path)) return refuse('the remote URL needs a repository path (letters, digits, . _ ~ / - only)');
  return { ok: true, remote: { url: `${user}@${host}:${path}`, transport: 'ssh', host } };
}
