import { posix } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { encode } from 'gpt-tokenizer';
import ts from 'typescript';
import { isBinary, type StoredFile } from '../store';

/**
 * The project as a model sees it, under a token budget counted with a real tokenizer (the o200k
 * encoding; other providers' tokenizers land within a few percent). Pure functions over the
 * stored files: the file tree and dependencies always, then files in priority order until the
 * budget is spent, and the prompt names what was left out.
 */

/** Tokens of a text for budgeting. */
export function countTokens(text: string): number {
  return encode(text).length;
}

const SOURCE = /\.(tsx?|jsx?|mjs|cjs)$/;
const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.js', '.jsx', '/index.ts', '/index.tsx', '/index.js', '/index.jsx'];

/** Project paths a source file imports (relative specifiers resolved against the project's files). */
export function importsOf(file: StoredFile, paths: ReadonlySet<string>): string[] {
  if (!SOURCE.test(file.path)) return [];
  const info = ts.preProcessFile(file.content, true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    const spec = ref.fileName;
    if (!spec.startsWith('.')) continue;
    const base = posix.normalize(posix.join(posix.dirname(file.path), spec));
    const stem = base.replace(/\.(js|jsx|mjs)$/, '');
    const found = [...RESOLVE_SUFFIXES.map((s) => base + s), ...RESOLVE_SUFFIXES.map((s) => stem + s)].find((p) => paths.has(p));
    if (found && !out.includes(found)) out.push(found);
  }
  return out;
}

/** Bare package imports of a source file (`react`, `@scope/pkg`, `lodash/fp` → `lodash`). */
export function packageImportsOf(file: StoredFile): string[] {
  if (!SOURCE.test(file.path)) return [];
  const names = new Set<string>();
  for (const ref of ts.preProcessFile(file.content, true, true).importedFiles) {
    const spec = ref.fileName;
    if (spec.startsWith('.') || spec.startsWith('/') || spec.includes(':')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec));
  }
  return [...names];
}

/** `roots` and everything they import, transitively, breadth-first (nearest imports first). */
export function withImports(roots: string[], files: readonly StoredFile[]): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const paths = new Set(byPath.keys());
  const seen = new Set<string>();
  const queue = roots.filter((r) => paths.has(r));
  const order: string[] = [];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    order.push(path);
    const file = byPath.get(path);
    if (file) for (const dep of importsOf(file, paths)) if (!seen.has(dep)) queue.push(dep);
  }
  return order;
}

/** Files most later code depends on: shared types, stores, contexts, hooks, utilities. */
export function isShared(path: string): boolean {
  return (
    /(^|\/)(types?|models?|store|stores|state|context|contexts|hooks?|lib|utils?)(\/|\.[jt]sx?$)/.test(path) ||
    /(^|\/)use[A-Z]\w*\.[jt]sx?$/.test(path)
  );
}

/** The project's files as an indented tree. */
export function fileTree(paths: readonly string[]): string {
  const lines: string[] = [];
  let previous: string[] = [];
  for (const path of [...paths].sort()) {
    const parts = path.split('/');
    let common = 0;
    while (common < parts.length - 1 && previous[common] === parts[common]) common++;
    for (let i = common; i < parts.length; i++) lines.push(`${'  '.repeat(i)}${parts[i]}${i < parts.length - 1 ? '/' : ''}`);
    previous = parts.slice(0, -1);
  }
  return lines.join('\n');
}

/** package.json's dependencies as one line, e.g. `react 19.3.1, zustand ^5.0.0`. */
export function dependencyLine(files: readonly StoredFile[]): string {
  const manifest = files.find((f) => f.path === 'package.json');
  if (!manifest) return '(template defaults)';
  try {
    const m = JSON.parse(manifest.content) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const all = { ...m.dependencies, ...m.devDependencies };
    return Object.entries(all)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ');
  } catch {
    return '(package.json does not parse)';
  }
}

export interface Selection {
  included: StoredFile[];
  /** Paths that did not fit the budget, in priority order. */
  omitted: string[];
  tokens: number;
}

/**
 * Files in `priority` order (paths not in `files` are skipped, each path once) while they fit in
 * `budgetTokens`; a file that does not fit is left out and smaller later ones may still go in.
 */
export function selectFiles(files: readonly StoredFile[], priority: string[], budgetTokens: number): Selection {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const included: StoredFile[] = [];
  const omitted: string[] = [];
  let tokens = 0;
  for (const path of new Set(priority)) {
    const file = byPath.get(path);
    if (!file || isBinary(file)) continue;
    const cost = countTokens(file.content) + 12;
    if (tokens + cost > budgetTokens) {
      omitted.push(path);
      continue;
    }
    tokens += cost;
    included.push(file);
  }
  return { included, omitted, tokens };
}

/** Project source files other code may need, most shared first (for "everything else" at the end of a priority list). */
export function sourcePaths(files: readonly StoredFile[]): string[] {
  const sources = files.filter((f) => f.path.startsWith('src/') && (SOURCE.test(f.path) || f.path.endsWith('.css'))).map((f) => f.path);
  return [...sources.filter(isShared), ...sources.filter((p) => !isShared(p))];
}

/** The sentence a prompt carries about files the budget left out. */
export function omittedNote(omitted: string[]): string | null {
  if (omitted.length === 0) return null;
  return `Left out of this prompt for space (they exist; their paths are in the tree): ${omitted.join(', ')}.`;
}

const MAX_DIFF_CHARS = 12_000;

/** The user's own edits since `before` (the files as the last round left them) as unified diffs, or null when none. */
export function editDiffs(before: readonly StoredFile[], now: readonly StoredFile[]): string | null {
  const shown = (f: StoredFile) => (isBinary(f) ? `(a binary file, ${Buffer.from(f.content, 'base64').length} bytes)\n` : f.content);
  const old = new Map(before.map((f) => [f.path, shown(f)]));
  const cur = new Map(now.map((f) => [f.path, shown(f)]));
  const patches: string[] = [];
  for (const path of [...new Set([...old.keys(), ...cur.keys()])].sort()) {
    const a = old.get(path);
    const b = cur.get(path);
    if (a === b || path === 'package.json') continue;
    patches.push(
      createTwoFilesPatch(
        a === undefined ? '/dev/null' : `a/${path}`,
        b === undefined ? '/dev/null' : `b/${path}`,
        a ?? '',
        b ?? '',
        '',
        '',
        { context: 2 },
      ),
    );
  }
  if (patches.length === 0) return null;
  const text = patches.join('\n');
  return text.length > MAX_DIFF_CHARS ? `${text.slice(0, MAX_DIFF_CHARS)}\n… (diff cut; the current files are shown above)` : text;
}
