import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The starter every project begins from (committed in the repo). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/react-vite/', import.meta.url));
/** The dev-server runner (plain JS, run by the sandbox's Node). */
export const DEV_RUNNER = fileURLToPath(new URL('../runtime/dev-server.mjs', import.meta.url));

/** Files and folders that are never project files: the dependency store, caches, build output. */
export const NON_PROJECT_DIRS = new Set(['node_modules', '.git', '.vite', 'dist']);

/** Changes whenever the template's dependency set changes, so a stale store is never reused. */
export function templateKey(): string {
  const h = createHash('sha256');
  h.update(readFileSync(`${TEMPLATE_DIR}package.json`));
  h.update(readFileSync(`${TEMPLATE_DIR}package-lock.json`));
  return h.digest('hex').slice(0, 12);
}
