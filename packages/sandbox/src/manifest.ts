import type { SkippedPackage } from './contract';
import { checkPackageSpec } from './packages';

/** More new packages than this in one proposal are refused (a model listing half the registry). */
export const MAX_NEW_PACKAGES = 50;

export type ManifestPlan =
  | {
      ok: true;
      /** Specs (`name` or `name@range`) to install as dependencies, in the proposal's order. */
      dependencies: string[];
      /** Specs to install with `{ dev: true }`. */
      devDependencies: string[];
      /** New entries that cannot be installed (not a registry name or range, too many). */
      rejected: SkippedPackage[];
    }
  | { ok: false; code: 'invalid_manifest'; message: string };

const SECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/**
 * What a model-written package.json adds to the current one: the dependencies and devDependencies
 * whose names the current manifest does not list yet, as specs checked by checkPackageSpec. Nothing
 * else of the proposal is taken: scripts, other fields and the versions of packages already there
 * stay as they are. Install the result with `Sandbox.install` (which writes package.json) instead
 * of writing the proposal.
 */
export function planManifestMerge(currentText: string, proposedText: string): ManifestPlan {
  const current = parseManifest(currentText, 'the current package.json');
  if (!current.ok) return current;
  const proposed = parseManifest(proposedText, 'the proposed package.json');
  if (!proposed.ok) return proposed;
  const known = new Set<string>();
  for (const section of SECTIONS) for (const name of Object.keys(current.deps[section])) known.add(name);

  const plan = { ok: true as const, dependencies: [] as string[], devDependencies: [] as string[], rejected: [] as SkippedPackage[] };
  let count = 0;
  for (const section of ['dependencies', 'devDependencies'] as const) {
    for (const [name, range] of Object.entries(proposed.deps[section])) {
      if (known.has(name)) continue;
      known.add(name);
      const spec = typeof range === 'string' && range.trim() !== '' ? `${name}@${range.trim()}` : name;
      const check = checkPackageSpec(spec);
      if (!check.ok) {
        plan.rejected.push({ spec, reason: `only registry packages can be installed: ${check.message}` });
        continue;
      }
      if (++count > MAX_NEW_PACKAGES) {
        plan.rejected.push({ spec, reason: `more than ${MAX_NEW_PACKAGES} new packages at once` });
        continue;
      }
      plan[section].push(check.spec);
    }
  }
  return plan;
}

type Deps = Record<(typeof SECTIONS)[number], Record<string, unknown>>;

function parseManifest(text: string, what: string): { ok: true; deps: Deps } | { ok: false; code: 'invalid_manifest'; message: string } {
  const bad = (message: string) => ({ ok: false as const, code: 'invalid_manifest' as const, message });
  if (typeof text !== 'string') return bad(`${what} must be text`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return bad(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) return bad(`${what} must be a JSON object`);
  const deps = {} as Deps;
  for (const section of SECTIONS) {
    const v = value[section];
    if (v !== undefined && !isObject(v)) return bad(`"${section}" in ${what} must be an object of package names to versions`);
    deps[section] = v ?? {};
  }
  return { ok: true, deps };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
