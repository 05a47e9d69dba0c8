import { check, type Diagnostic, type PhaseSpec, PhaseSpecSchema } from '@lathe/protocol';
import { jsonrepair } from 'jsonrepair';
import type { ChatMessage } from './llm';
import type { RoundKind } from './machine';
import type { StoredFile } from './store';
import { stripReasoning } from './stream-text';

/**
 * Prompts for the three roles, laid out for prompt caching: the stable part first (the role's
 * system prompt with the template's rules and the file format, identical for every call of a
 * role), then the project's state, and the request last. Real models read only this text; the
 * built-in offline model gets its structured input beside it (`Prompt.offlineContext`).
 */
const FILE_BLOCK_END = 'LATHE_FILE_END';

/** A prompt: the messages every model reads, and the offline model's structured input. */
export interface Prompt {
  messages: ChatMessage[];
  offlineContext: unknown;
}

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
  /** Facts the errors do not show (packages that could not be installed). */
  notes?: string[];
}

const STACK = [
  'The project is a Vite 8 app: React 19, TypeScript (strict), Tailwind CSS v4. Entry: index.html -> src/main.tsx -> src/App.tsx (default export App).',
  'Already installed: react, react-dom, lucide-react (icons), clsx, tailwindcss, @tailwindcss/vite, vite, typescript. Any other package needs an install line.',
  'Template rules:',
  '- Do not touch vite.config.ts, index.html, src/main.tsx, tsconfig files or package.json scripts; the dev server is managed for you.',
  '- Tailwind v4: src/index.css starts with @import "tailwindcss"; customise with @theme in CSS. No tailwind.config.js, no postcss config.',
  '- Imports are relative (./components/X); there is no "@/" path alias.',
  '- React 19 typing: import types with `import type`; use React.ReactNode / JSX from "react"; no default React import needed for JSX; event types like React.ChangeEvent<HTMLInputElement>.',
  '- Browser only: no Node APIs, no server, no env secrets. Persist with localStorage (guard JSON.parse with try/catch).',
].join('\n');

const FILE_FORMAT = [
  'Write every file as a heredoc block; nothing else is saved:',
  "cat > src/path/File.tsx << 'EOF'",
  '...the complete file content...',
  'EOF',
  'Always the complete file: never a diff, never "... rest unchanged" placeholders. Paths are relative to the project (src/...), never absolute, never "..".',
  'To add npm packages write a line "npm install <pkg> <pkg@version>" on its own, outside any block. Keep any notes short, outside the blocks.',
].join('\n');

/** The first words of each role's system prompt (also how test stand-ins tell roles apart). */
const ROLE_INTRO: Record<PromptRole, string> = {
  designer: "You are Lathe's app designer.",
  implementer: "You are Lathe's implementer.",
  fixer: "You are Lathe's fixer.",
};

/** Files as heredoc blocks with a delimiter that cannot clash with a file's own "EOF" lines. */
function fileBlocks(files: StoredFile[]): string {
  return files
    .map(
      (f) =>
        `cat > ${f.path} << '${FILE_BLOCK_END}'\n${f.content}${f.content.endsWith('\n') || f.content === '' ? '' : '\n'}${FILE_BLOCK_END}`,
    )
    .join('\n');
}

const DESIGNER_SYSTEM = [
  ROLE_INTRO.designer,
  `You plan a web app in small phases. ${STACK}`,
  'Answer with ONE JSON object and nothing else:',
  '{"name": string, "description": string, "files": [{"path": string, "purpose": string}], "installCommands": [string], "lastPhase": boolean}',
  'A phase lists the files it creates or rewrites (at most about 8). installCommands are "npm install ..." lines, usually none.',
  'The first phase must already produce a working app; later phases refine it. Set lastPhase to true when the request is fully served; most apps need 1 to 3 phases.',
  "The app's title is a visible <h1> in src/App.tsx.",
].join('\n');

export function designerPrompt(c: DesignContext): Prompt {
  const offlineContext = {
    role: 'designer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phaseBudget: c.phaseBudget,
    previousPhases: c.previousPhases.map((p) => p.name),
    existingFiles: c.existingFiles,
  };
  const lines = [`Existing files: ${c.existingFiles.length > 0 ? c.existingFiles.join(', ') : '(only the template)'}`];
  if (c.request.history.length > 0) lines.push(`Earlier requests:\n${c.request.history.map((h) => `- ${h}`).join('\n')}`);
  if (c.previousPhases.length > 0) {
    lines.push(
      `Phases done in this round:\n${c.previousPhases.map((p, i) => `${i + 1}. ${p.name}: ${p.description} (files: ${p.files.map((f) => f.path).join(', ')})`).join('\n')}`,
    );
  }
  const last = c.phaseInRound + 1 >= c.phaseBudget;
  lines.push(`${c.request.kind === 'generate' ? 'Build this app' : 'The app exists; make this change'}: ${c.request.text}`);
  lines.push(`Design phase ${c.phaseInRound + 1} of at most ${c.phaseBudget}${last ? ' (this must be the last phase)' : ''}.`);
  return {
    messages: [
      { role: 'system', content: DESIGNER_SYSTEM },
      { role: 'user', content: lines.join('\n\n') },
    ],
    offlineContext,
  };
}

/** Reads the designer's answer the way a careful person would (see readPlanJson), validated as a PhaseSpec. */
export function parsePhaseSpec(text: string): { ok: true; spec: PhaseSpec } | { ok: false; error: string } {
  const read = readPlanJson(text);
  if (!read.ok) return read;
  const checked = check(PhaseSpecSchema, coercePhaseSpec(read.value));
  if (!checked.ok) return { ok: false, error: `the plan does not match the schema (${checked.error})` };
  if (checked.value.files.length === 0 && checked.value.installCommands.length === 0)
    return { ok: false, error: 'the plan lists no files to write ("files" is missing or empty)' };
  return { ok: true, spec: checked.value };
}

/**
 * The JSON object in a model's answer: reasoning blocks are dropped, a ```json fence is preferred,
 * then the first balanced object in the text (an unbalanced one runs to the end: a cut answer);
 * trailing commas, comments, single quotes and unquoted keys are repaired by jsonrepair.
 */
export function readPlanJson(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const answer = stripReasoning(text);
  const candidates: string[] = [];
  for (const m of answer.matchAll(/```[ \t]*(json5?|jsonc)?[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$)/gi)) {
    const body = m[2] ?? '';
    if (body.includes('{')) candidates[m[1] ? 'unshift' : 'push'](body);
  }
  for (let from = answer.indexOf('{'); from !== -1 && candidates.length < 8; from = answer.indexOf('{', from + 1)) {
    const end = balancedEnd(answer, from);
    candidates.push(answer.slice(from, end === -1 ? undefined : end + 1));
    if (end === -1) break;
    from = end;
  }
  if (candidates.length === 0) return { ok: false, error: 'the answer contains no JSON object' };
  let firstError = '';
  for (const candidate of candidates) {
    const value = parseLoose(candidate);
    if (value.ok && typeof value.value === 'object' && value.value !== null && !Array.isArray(value.value))
      return { ok: true, value: value.value as Record<string, unknown> };
    firstError ||= value.ok ? 'the JSON is not an object' : value.error;
  }
  return { ok: false, error: firstError };
}

function parseLoose(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    try {
      return { ok: true, value: JSON.parse(jsonrepair(text)) };
    } catch (e) {
      return { ok: false, error: `the JSON does not parse (${e instanceof Error ? e.message.slice(0, 200) : String(e)})` };
    }
  }
}

/** Index of the `}` that closes the object opening at `from`, or -1 (strings and escapes respected). */
function balancedEnd(text: string, from: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

const pickString = (o: Record<string, unknown>, ...keys: string[]): string | undefined => {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
};

/** Brings the usual variations of a plan to the schema: aliases, string file lists, missing optional fields. */
export function coercePhaseSpec(raw: Record<string, unknown>): unknown {
  const inner = raw.phase ?? raw.plan;
  const o = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>) : raw;
  const name = pickString(o, 'name', 'title', 'phaseName', 'phase_name') ?? 'Phase';
  const description = pickString(o, 'description', 'summary', 'goal') ?? name;
  const rawFiles = o.files ?? o.fileList ?? o.file_list;
  let files: { path: string; purpose: string }[] = [];
  if (Array.isArray(rawFiles)) {
    files = rawFiles.flatMap((f): { path: string; purpose: string }[] => {
      if (typeof f === 'string') return f.trim() ? [{ path: f.trim(), purpose: '' }] : [];
      if (typeof f !== 'object' || f === null) return [];
      const r = f as Record<string, unknown>;
      const path = pickString(r, 'path', 'file', 'filename', 'filePath', 'name');
      return path ? [{ path, purpose: (pickString(r, 'purpose', 'description', 'summary') ?? '').slice(0, 2000) }] : [];
    });
  } else if (typeof rawFiles === 'object' && rawFiles !== null) {
    files = Object.entries(rawFiles as Record<string, unknown>).map(([path, purpose]) => ({
      path,
      purpose: typeof purpose === 'string' ? purpose.slice(0, 2000) : '',
    }));
  }
  const rawInstalls = o.installCommands ?? o.install_commands ?? o.installs ?? o.install;
  let installCommands: string[] = [];
  if (typeof rawInstalls === 'string') installCommands = rawInstalls.trim() ? [rawInstalls.trim()] : [];
  else if (Array.isArray(rawInstalls)) installCommands = rawInstalls.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
  const deps = o.dependencies ?? o.packages;
  if (Array.isArray(deps)) {
    const names = deps.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
    if (names.length > 0) installCommands.push(`npm install ${names.join(' ')}`);
  }
  const rawLast = o.lastPhase ?? o.last_phase ?? o.isLastPhase ?? o.is_last_phase ?? o.final;
  // A plan that does not say is taken as complete: the round ends rather than inventing phases.
  const lastPhase = typeof rawLast === 'boolean' ? rawLast : typeof rawLast === 'string' ? rawLast.trim().toLowerCase() !== 'false' : true;
  return {
    name: name.slice(0, 200),
    description: description.slice(0, 4000),
    files: files.slice(0, 100),
    installCommands: installCommands.slice(0, 20).map((c) => c.slice(0, 500)),
    lastPhase,
  };
}

export function designerRetryPrompt(previous: ChatMessage[], answer: string, error: string): ChatMessage[] {
  return [
    ...previous,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `I could not use that answer: ${error}. Answer again with only the JSON object in the schema from the instructions, no text before or after it.`,
    },
  ];
}

const IMPLEMENTER_SYSTEM = [
  ROLE_INTRO.implementer,
  `You write the code for one phase of a web app. ${STACK}`,
  FILE_FORMAT,
  'Write real, complete, good-looking code that type-checks under strict TypeScript.',
].join('\n');

/** Why a file the implementer was asked for is still missing, as the model is told. */
export interface MissingFile {
  path: string;
  reason: string;
}

export function implementerPrompt(c: ImplementContext): Prompt {
  const offlineContext = {
    role: 'implementer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phase: c.spec,
    filesToWrite: c.filesToWrite,
    existingFiles: c.existingFiles,
  };
  const lines = [`Existing files: ${c.existingFiles.join(', ') || '(only the template)'}`];
  if (c.relevant.length > 0)
    lines.push(
      `Current contents of relevant files (these blocks end with ${FILE_BLOCK_END}; yours may end with EOF):\n${fileBlocks(c.relevant)}`,
    );
  if (c.request.history.length > 0) lines.push(`Earlier requests:\n${c.request.history.map((h) => `- ${h}`).join('\n')}`);
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

function describeDiagnostic(d: Diagnostic): string {
  const at = [d.file ?? '', d.line !== null ? String(d.line) : '', d.column !== null ? String(d.column) : '']
    .filter((x) => x !== '')
    .join(':');
  return `- [${d.source}] ${at ? `${at} ` : ''}${d.message}`;
}

const FIXER_SYSTEM = [
  ROLE_INTRO.fixer,
  `You fix errors in a web app. ${STACK}`,
  FILE_FORMAT,
  'Rewrite only the files needed to fix the errors, each completely. A missing package can be fixed with an install line.',
].join('\n');

export function fixerPrompt(c: FixContext): Prompt {
  const lines = [
    `Files (these blocks end with ${FILE_BLOCK_END}; yours may end with EOF):\n${fileBlocks(c.files)}`,
    `Errors:\n${c.diagnostics.map(describeDiagnostic).join('\n')}`,
    ...(c.notes && c.notes.length > 0 ? [`Also note:\n${c.notes.map((n) => `- ${n}`).join('\n')}`] : []),
    'Fix these errors.',
  ];
  return {
    messages: [
      { role: 'system', content: FIXER_SYSTEM },
      { role: 'user', content: lines.join('\n\n') },
    ],
    offlineContext: { role: 'fixer', diagnostics: c.diagnostics, files: c.files.map((f) => f.path) },
  };
}

export type PromptRole = 'designer' | 'implementer' | 'fixer';

/** Which role a request is for, from the system prompt's first words (test stand-ins use this). */
export function readRole(messages: readonly { role: string; content: unknown }[]): PromptRole | null {
  const system = messages.find((m) => m.role === 'system');
  const text = typeof system?.content === 'string' ? system.content : '';
  for (const role of ['designer', 'implementer', 'fixer'] as const) if (text.startsWith(ROLE_INTRO[role])) return role;
  return null;
}
