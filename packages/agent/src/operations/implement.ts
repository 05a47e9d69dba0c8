import { type Blueprint, type Diagnostic, LatheError, type PhaseSpec } from '@lathe/protocol';
import { installsIn } from '../installs';
import type { StoredFile } from '../store';
import { renderBlueprint } from './blueprint';
import { dependencyLine, fileTree, omittedNote, selectFiles, sourcePaths, withImports } from './context';
import { describeDiagnostic, FILE_BLOCK_END, FILE_FORMAT, fileBlocks, type Prompt, ROLE_INTRO, type RoundRequest, STACK } from './shared';

/**
 * Implementation: the implementer writes one phase's files as a stream of file blocks. Owns its
 * prompt, its context selection (the phase's files, everything they import, shared types and
 * stores, then the rest, under the token budget) and the re-ask for files left unwritten.
 */

export interface ImplementInput {
  request: RoundRequest;
  phaseInRound: number;
  spec: PhaseSpec;
  /** The files to write now (on resume, only those not completed yet). */
  filesToWrite: string[];
  /** Every stored file of the project. */
  files: StoredFile[];
  blueprint: Blueprint | null;
  /** The user's own edits since the last round, as diffs (follow-ups). */
  userEdits: string | null;
  /** Tokens the project's file contents may take in the prompt. */
  budgetTokens: number;
  /** Errors the preview showed after the previous phase (this phase's files should not keep them). */
  problems: Diagnostic[];
}

/** Why a file the implementer was asked for is still missing, as the model is told. */
export interface MissingFile {
  path: string;
  reason: string;
}

const IMPLEMENTER_SYSTEM = [
  ROLE_INTRO.implementer,
  `You write the code for one phase of a web app. ${STACK}`,
  FILE_FORMAT,
  'Write real, complete, good-looking code that type-checks under strict TypeScript. Import only files that exist or that you write now, with the names they export.',
].join('\n');

/** Which files the implementer sees, most needed first: the phase's own files and their imports, shared code, the rest. */
export function implementerContext(c: Pick<ImplementInput, 'spec' | 'files' | 'budgetTokens'>) {
  const roots = [...c.spec.files.map((f) => f.path), 'src/App.tsx'];
  const priority = [...withImports(roots, c.files), ...sourcePaths(c.files)].filter((p) => p !== 'package.json');
  return selectFiles(c.files, priority, c.budgetTokens);
}

export function implementerPrompt(c: ImplementInput): Prompt {
  const paths = c.files.map((f) => f.path);
  const offlineContext = {
    role: 'implementer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phase: c.spec,
    filesToWrite: c.filesToWrite,
    existingFiles: paths,
  };
  const selection = implementerContext(c);
  const lines: string[] = [];
  if (c.blueprint) lines.push(renderBlueprint(c.blueprint));
  lines.push(`Project files:\n${paths.length > 0 ? fileTree(paths) : '(only the template)'}`);
  lines.push(`Dependencies: ${dependencyLine(c.files)}`);
  if (selection.included.length > 0)
    lines.push(`Current contents (these blocks end with ${FILE_BLOCK_END}; yours end with EOF):\n${fileBlocks(selection.included)}`);
  const omitted = omittedNote(selection.omitted);
  if (omitted) lines.push(omitted);
  if (c.userEdits) lines.push(`The user edited these files by hand since the last round (keep their changes):\n${c.userEdits}`);
  if (c.request.history.length > 0) lines.push(`Earlier requests:\n${c.request.history.map((h) => `- ${h}`).join('\n')}`);
  if (c.problems.length > 0)
    lines.push(
      `The preview showed these errors after the previous phase; fix them in the files you write (you may rewrite an existing file for it):\n${c.problems.map(describeDiagnostic).join('\n')}`,
    );
  lines.push(`Request: ${c.request.text}`);
  lines.push(`Phase: ${c.spec.name}: ${c.spec.description}`);
  lines.push(
    `Write exactly these files:\n${c.filesToWrite.map((p) => `- ${p}: ${c.spec.files.find((f) => f.path === p)?.purpose ?? ''}`).join('\n')}`,
  );
  return {
    messages: [
      { role: 'system', content: IMPLEMENTER_SYSTEM },
      { role: 'user', content: lines.join('\n\n') },
    ],
    offlineContext,
  };
}

/**
 * The re-ask for files an implementer answer left unwritten: the same conversation, the answer,
 * and exactly which files are missing and why.
 */
export function implementerRetryPrompt(previous: Prompt, answer: string, missing: MissingFile[]): Prompt {
  const list = missing.map((m) => `- ${m.path}: ${m.reason}`).join('\n');
  return {
    messages: [
      ...previous.messages,
      { role: 'assistant', content: answer },
      {
        role: 'user',
        content: `These files were not saved:\n${list}\nSend only these files now, each complete in its own heredoc block (cat > path << 'EOF' … EOF, the EOF alone on its line).`,
      },
    ],
    offlineContext: previous.offlineContext,
  };
}

/** Why a file of the phase is missing when the parser reported nothing about it. */
export function missingReason(path: string, answer: { text: string; truncated: boolean }): string {
  if (answer.truncated) return 'the answer was cut off at the token limit before this file';
  return answer.text.includes(path) ? 'no file block for it was found (write it as a heredoc block)' : 'the answer did not include it';
}

/** What implementing needs from the agent: the file stream, and which of the phase's files are saved. */
export interface ImplementPort {
  stream(prompt: Prompt): Promise<{ installs: string[]; failed: Map<string, string>; text: string; truncated: boolean }>;
  completed(): string[];
  log(text: string): Promise<void>;
}

/**
 * Streams the phase's files, then asks once more for exactly the files the answer left out, cut
 * off or got refused, saying which and why. Returns the packages the phase installs (its design's
 * install commands and the install lines the answers carried). Fails with `phase_empty` when the
 * model wrote none of the phase's files, even when asked again.
 */
export async function implementFiles(input: ImplementInput, port: ImplementPort, signal: AbortSignal): Promise<{ installs: string[] }> {
  const installs: string[] = input.spec.installCommands.flatMap(installsIn);
  let remaining = input.filesToWrite;
  let prompt = implementerPrompt(input);
  for (let pass = 0; pass < 2 && remaining.length > 0; pass++) {
    const outcome = await port.stream(prompt);
    installs.push(...outcome.installs);
    if (signal.aborted) break;
    const completed = port.completed();
    remaining = remaining.filter((p) => !completed.includes(p));
    if (remaining.length === 0) break;
    const missing: MissingFile[] = remaining.map((path) => ({ path, reason: outcome.failed.get(path) ?? missingReason(path, outcome) }));
    await port.log(
      `Not saved: ${missing.map((m) => `${m.path} (${m.reason})`).join('; ')}${pass === 0 ? '. Asking the model for exactly these files again.' : '.'}`,
    );
    prompt = implementerRetryPrompt(prompt, outcome.text, missing);
  }
  const { spec } = input;
  if (!signal.aborted && spec.files.length > 0 && port.completed().length === 0) {
    throw new LatheError(
      'phase_empty',
      `The model wrote none of the files of phase "${spec.name}" (${spec.files.map((f) => f.path).join(', ')}), even when asked again.`,
    );
  }
  return { installs };
}
