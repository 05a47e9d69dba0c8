import { check, type Diagnostic, type PhaseSpec, PhaseSpecSchema } from '@lathe/protocol';
import type { ChatMessage } from './llm';
import type { RoundKind } from './machine';
import type { StoredFile } from './store';

/**
 * Prompts for the three roles. Each system prompt starts with a marker line `[lathe:<role>]`
 * and each user prompt carries a `<lathe-context>` JSON block: real models read them as plain
 * context, and the built-in offline model answers from them deterministically.
 */
const FILE_BLOCK_END = 'LATHE_FILE_END';

export interface RoundRequest {
  kind: RoundKind;
  text: string;
  /** Earlier requests of this project, oldest first (gives a follow-up its history). */
  history: string[];
}

export interface DesignContext {
  request: RoundRequest;
  phaseInRound: number;
  phaseBudget: number;
  previousPhases: PhaseSpec[];
  existingFiles: string[];
}

export interface ImplementContext {
  request: RoundRequest;
  phaseInRound: number;
  spec: PhaseSpec;
  /** The files to write now (on resume, only those not completed yet). */
  filesToWrite: string[];
  existingFiles: string[];
  relevant: StoredFile[];
}

export interface FixContext {
  diagnostics: Diagnostic[];
  files: StoredFile[];
}

const STACK =
  'The project is a Vite app with React 19, TypeScript (strict) and Tailwind CSS v4 (utility classes; src/index.css holds @import "tailwindcss"). Entry: index.html -> src/main.tsx -> src/App.tsx (default export App). Already installed: react, react-dom, vite, @vitejs/plugin-react, tailwindcss, @tailwindcss/vite, typescript.';

const FILE_FORMAT = [
  'Write every file as a heredoc block; nothing else is saved:',
  "cat > src/path/File.tsx << 'EOF'",
  '...the complete file content...',
  'EOF',
  'Always the complete file, never a diff. Paths are relative to the project (src/...), never absolute, never "..".',
  'To add npm packages write a line "npm install <pkg> <pkg@version>" outside any block. Notes go on lines starting with "#".',
].join('\n');

function contextBlock(value: unknown): string {
  return `<lathe-context>\n${JSON.stringify(value)}\n</lathe-context>`;
}

/** Files as heredoc blocks with a delimiter that cannot clash with a file's own "EOF" lines. */
function fileBlocks(files: StoredFile[]): string {
  return files
    .map(
      (f) =>
        `cat > ${f.path} << '${FILE_BLOCK_END}'\n${f.content}${f.content.endsWith('\n') || f.content === '' ? '' : '\n'}${FILE_BLOCK_END}`,
    )
    .join('\n');
}

export function designerPrompt(c: DesignContext): ChatMessage[] {
  const system = [
    '[lathe:designer]',
    `You plan a web app in small phases. ${STACK}`,
    'Answer with ONE JSON object and nothing else:',
    '{"name": string, "description": string, "files": [{"path": string, "purpose": string}], "installCommands": [string], "lastPhase": boolean}',
    'A phase lists the files it creates or rewrites (at most about 8). installCommands are "npm install ..." lines, usually none.',
    'The first phase must already produce a working app; later phases refine it. Set lastPhase to true when the request is fully served.',
    "The app's title is a visible <h1> in src/App.tsx.",
  ].join('\n');
  const context = {
    role: 'designer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phaseBudget: c.phaseBudget,
    previousPhases: c.previousPhases.map((p) => p.name),
    existingFiles: c.existingFiles,
  };
  const lines = [
    contextBlock(context),
    `${c.request.kind === 'generate' ? 'Build this app' : 'The app exists; make this change'}: ${c.request.text}`,
  ];
  if (c.request.history.length > 0) lines.push(`Earlier requests:\n${c.request.history.map((h) => `- ${h}`).join('\n')}`);
  lines.push(`Existing files: ${c.existingFiles.length > 0 ? c.existingFiles.join(', ') : '(only the template)'}`);
  if (c.previousPhases.length > 0) {
    lines.push(
      `Phases done in this round:\n${c.previousPhases.map((p, i) => `${i + 1}. ${p.name}: ${p.description} (files: ${p.files.map((f) => f.path).join(', ')})`).join('\n')}`,
    );
  }
  const last = c.phaseInRound + 1 >= c.phaseBudget;
  lines.push(`Design phase ${c.phaseInRound + 1} of at most ${c.phaseBudget}${last ? ' (this must be the last phase)' : ''}.`);
  return [
    { role: 'system', content: system },
    { role: 'user', content: lines.join('\n') },
  ];
}

/** Reads the designer's answer: the outermost JSON object, validated as a PhaseSpec. */
export function parsePhaseSpec(text: string): { ok: true; spec: PhaseSpec } | { ok: false; error: string } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) return { ok: false, error: 'the answer contains no JSON object' };
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start, end + 1));
  } catch (e) {
    return { ok: false, error: `the JSON does not parse (${e instanceof Error ? e.message : String(e)})` };
  }
  const checked = check(PhaseSpecSchema, data);
  if (!checked.ok) return { ok: false, error: checked.error };
  return { ok: true, spec: checked.value };
}

export function designerRetryPrompt(previous: ChatMessage[], answer: string, error: string): ChatMessage[] {
  return [
    ...previous,
    { role: 'assistant', content: answer },
    { role: 'user', content: `That answer is invalid: ${error}. Answer again with only the JSON object, exactly in the schema.` },
  ];
}

export function implementerPrompt(c: ImplementContext): ChatMessage[] {
  const system = [
    '[lathe:implementer]',
    `You write the code for one phase of a web app. ${STACK}`,
    FILE_FORMAT,
    'Write real, complete, good-looking code that type-checks under strict TypeScript.',
  ].join('\n');
  const context = {
    role: 'implementer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phase: c.spec,
    filesToWrite: c.filesToWrite,
    existingFiles: c.existingFiles,
  };
  const lines = [
    contextBlock(context),
    `Request: ${c.request.text}`,
    `Phase: ${c.spec.name}: ${c.spec.description}`,
    `Write exactly these files:\n${c.filesToWrite.map((p) => `- ${p}: ${c.spec.files.find((f) => f.path === p)?.purpose ?? ''}`).join('\n')}`,
    `Existing files: ${c.existingFiles.join(', ') || '(only the template)'}`,
  ];
  if (c.relevant.length > 0)
    lines.push(`Current contents of relevant files (blocks end with ${FILE_BLOCK_END}):\n${fileBlocks(c.relevant)}`);
  return [
    { role: 'system', content: system },
    { role: 'user', content: lines.join('\n') },
  ];
}

function describeDiagnostic(d: Diagnostic): string {
  const at = [d.file ?? '', d.line !== null ? String(d.line) : '', d.column !== null ? String(d.column) : '']
    .filter((x) => x !== '')
    .join(':');
  return `- [${d.source}] ${at ? `${at} ` : ''}${d.message}`;
}

export function fixerPrompt(c: FixContext): ChatMessage[] {
  const system = [
    '[lathe:fixer]',
    `You fix errors in a web app. ${STACK}`,
    FILE_FORMAT,
    'Rewrite only the files needed to fix the errors, each completely.',
  ].join('\n');
  const lines = [
    contextBlock({ role: 'fixer', diagnostics: c.diagnostics, files: c.files.map((f) => f.path) }),
    `Errors:\n${c.diagnostics.map(describeDiagnostic).join('\n')}`,
    `Files (blocks end with ${FILE_BLOCK_END}):\n${fileBlocks(c.files)}`,
  ];
  return [
    { role: 'system', content: system },
    { role: 'user', content: lines.join('\n') },
  ];
}

/** Reads the `<lathe-context>` block back out of a prompt (the offline model's input). */
export function readContext(text: string): unknown {
  const m = /<lathe-context>\n([\s\S]*?)\n<\/lathe-context>/.exec(text);
  if (!m?.[1]) return null;
  try {
    return JSON.parse(m[1]);
  } catch {
    return null;
  }
}

export type PromptRole = 'designer' | 'implementer' | 'fixer';

/** Which role a request is for, from the system prompt's marker line. */
export function readRole(messages: readonly { role: string; content: unknown }[]): PromptRole | null {
  const system = messages.find((m) => m.role === 'system');
  const m = typeof system?.content === 'string' ? /^\[lathe:(designer|implementer|fixer)\]/.exec(system.content) : null;
  const role = m?.[1];
  return role === 'designer' || role === 'implementer' || role === 'fixer' ? role : null;
}
