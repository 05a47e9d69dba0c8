export type PackageCheck =
  | { ok: true; spec: string; name: string; range: string | null }
  | { ok: false; code: 'invalid_package'; message: string };

// npm's package-name grammar (validate-npm-package-name, new-package rules): lowercase,
// URL-safe, optional scope, no leading dot or underscore, at most 214 characters.
const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
// Semver ranges and dist-tags only: no ':' or '/', so URLs, git, file and alias specs cannot pass.
const RANGE = /^[0-9A-Za-z.^~<>=|*+\- ]{1,64}$/;

/** Validates one `npm install` argument: `name` or `name@range`. Flags, URLs, git/file specs are refused. */
export function checkPackageSpec(spec: string): PackageCheck {
  if (typeof spec !== 'string' || spec.length === 0) return bad('package spec is empty');
  if (spec.startsWith('-')) return bad(`flags are not allowed: ${JSON.stringify(spec)}`);
  if (spec.length > 280) return bad('package spec is too long');
  const at = spec.indexOf('@', 1);
  const name = at === -1 ? spec : spec.slice(0, at);
  const range = at === -1 ? null : spec.slice(at + 1);
  if (name.length > 214 || !NAME.test(name)) return bad(`not a valid npm package name: ${JSON.stringify(name)}`);
  if (range !== null) {
    const trimmed = range.trim();
    if (!RANGE.test(range) || trimmed.length === 0 || trimmed.startsWith('-'))
      return bad(`not a valid version range: ${JSON.stringify(range)}`);
  }
  return { ok: true, spec, name, range };
}

function bad(message: string): PackageCheck {
  return { ok: false, code: 'invalid_package', message };
}
