import type { Blueprint, Diagnostic } from '@lathe/protocol';
import { checkProjectPath } from '@lathe/sandbox';
import type { StoredFile } from '../store';
import { renderBlueprint } from './blueprint';
import { dependencyLine, fileTree, omittedNote, selectFiles, sourcePaths, withImports } from './context';
import { describeDiagnostic, FILE_BLOCK_END, FILE_FORMAT, fileBlocks, type Prompt, ROLE_INTRO, STACK } from './shared';

/**
 * Fixing: the fixer rewrites the files needed to clear the review's errors. Owns its prompt and
 * its context: the failing files, the modules they import (so it can fix either side), the
 * previous fix attempt with the errors that persisted, and facts the errors do not show.
 */

export interface FixAttempt {
  /** Files the previous fixer answer rewrote. */
  paths: string[];
  /** Errors it was given. */
  errors: Diagnostic[];
}

export interface FixInput {
  diagnostics: Diagnostic[];
  files: StoredFile[];
  blueprint: Blueprint | null;
  /** Facts the errors do not show (packages that could not be installed). */
  notes: string[];
  previousAttempt: FixAttempt | null;
  budgetTokens: number;
}

const FIXER_SYSTEM = [
  ROLE_INTRO.fixer,
  `You fix errors in a web app. ${STACK}`,
  FILE_FORMAT,
  'Rewrite only the files needed to fix the errors, each completely; fix the cause, which may be in an imported module. A missing package can be fixed with an install line.',
].join('\n');

/** Diagnostics may name files absolutely or with "./"; the agent stores project-relative paths. */
export function diagnosticPath(file: string): string {
  const marker = file.lastIndexOf('/src/');
  const rel = marker !== -1 && file.startsWith('/') ? file.slice(marker + 1) : file;
  const checked = checkProjectPath(rel);
  return checked.ok ? checked.path : rel;
}

/** The files the errors name, then what they import, then the entry and shared code. */
export function fixerContext(c: Pick<FixInput, 'diagnostics' | 'files' | 'budgetTokens'>) {
  const named = [...new Set(c.diagnostics.flatMap((d) => (d.file ? [diagnosticPath(d.file)] : [])))];
  const priority = [...withImports([...named, 'src/App.tsx'], c.files), ...sourcePaths(c.files)].filter((p) => p !== 'package.json');
  return selectFiles(c.files, priority, c.budgetTokens);
}

export function fixerPrompt(c: FixInput): Prompt {
  const paths = c.files.map((f) => f.path);
  const selection = fixerContext(c);
  const lines: string[] = [];
  if (c.blueprint) lines.push(renderBlueprint(c.blueprint));
  lines.push(`Project files:\n${fileTree(paths)}`);
  lines.push(`Dependencies: ${dependencyLine(c.files)}`);
  lines.push(`Current contents (these blocks end with ${FILE_BLOCK_END}; yours end with EOF):\n${fileBlocks(selection.included)}`);
  const omitted = omittedNote(selection.omitted);
  if (omitted) lines.push(omitted);
  if (c.previousAttempt) {
    const still = c.diagnostics.filter((d) => c.previousAttempt?.errors.some((e) => e.message === d.message && e.file === d.file));
    lines.push(
      `Your previous attempt rewrote ${c.previousAttempt.paths.length > 0 ? c.previousAttempt.paths.join(', ') : 'no file'}${still.length > 0 ? `, and these errors persisted:\n${still.map(describeDiagnostic).join('\n')}\nTry a different fix.` : '.'}`,
    );
  }
  lines.push(`Errors:\n${c.diagnostics.map(describeDiagnostic).join('\n')}`);
  if (c.notes.length > 0) lines.push(`Also note:\n${c.notes.map((n) => `- ${n}`).join('\n')}`);
  lines.push('Fix these errors.');
  return {
    messages: [
      { role: 'system', content: FIXER_SYSTEM },
      { role: 'user', content: lines.join('\n\n') },
    ],
    offlineContext: { role: 'fixer', diagnostics: c.diagnostics, files: selection.included.map((f) => f.path) },
  };
}

/** What the review loop needs from the agent. */
export interface ReviewPort {
  fixRounds: number;
  /** Repairs that need no model (packages the code imports but nobody installed). */
  repair(): Promise<void>;
  diagnostics(): Promise<Diagnostic[]>;
  reported(result: { round: number; errors: Diagnostic[]; fixed: boolean }): Promise<void>;
  prompt(errors: Diagnostic[], previousAttempt: FixAttempt | null): Promise<Prompt>;
  /** Streams the fixer's answer into saved files. */
  stream(prompt: Prompt): Promise<{ completed: string[]; installs: string[]; failed: Map<string, string> }>;
  install(packages: string[]): Promise<void>;
  log(text: string): Promise<void>;
}

/**
 * Review: repair what needs no model, check, and while errors remain and fix rounds are left, one
 * fixer round that sees what the previous round tried. Every check is reported, the last one too.
 * Returns the errors that remain.
 */
export async function reviewAndFix(port: ReviewPort, signal: AbortSignal): Promise<Diagnostic[]> {
  let previousAttempt: FixAttempt | null = null;
  for (let round = 0; ; round++) {
    await port.repair();
    if (signal.aborted) return [];
    const errors = await port.diagnostics();
    if (signal.aborted) return errors;
    const last = errors.length === 0 || round >= port.fixRounds;
    await port.reported({ round, errors, fixed: errors.length === 0 && round > 0 });
    if (last) return errors;
    const outcome = await port.stream(await port.prompt(errors, previousAttempt));
    if (signal.aborted) return errors;
    for (const [path, reason] of outcome.failed) await port.log(`Fixer's ${path} was not saved: ${reason}`);
    await port.log(`Fixer rewrote ${outcome.completed.length > 0 ? outcome.completed.join(', ') : 'no files'}.`);
    // A missing module is often fixed by installing it rather than by editing code.
    if (outcome.installs.length > 0) await port.install([...new Set(outcome.installs)]);
    if (signal.aborted) return errors;
    previousAttempt = { paths: outcome.completed, errors };
  }
}
