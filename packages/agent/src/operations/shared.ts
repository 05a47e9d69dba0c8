import type { Diagnostic } from '@lathe/protocol';
import type { ChatMessage } from '../llm';
import type { RoundKind } from '../machine';
import { isBinary, type StoredFile } from '../store';

/**
 * What every operation's prompt shares: the template's rules, the file format, the role intros.
 * Prompts are laid out for prompt caching: the stable part first (the role's system prompt,
 * identical for every call of a role; then the blueprint and the project's files), the request
 * last. Real models read only this text; the built-in offline model gets its structured input
 * beside it (`Prompt.offlineContext`).
 */
export const FILE_BLOCK_END = 'LATHE_FILE_END';

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

export type PromptRole = 'blueprint' | 'designer' | 'implementer' | 'fixer' | 'summariser';

export const STACK = [
  'The project is a Vite 8 app: React 19, TypeScript (strict), Tailwind CSS v4. Entry: index.html -> src/main.tsx -> src/App.tsx (default export App).',
  'Already installed: react, react-dom, lucide-react (icons), clsx, tailwindcss, @tailwindcss/vite, vite, typescript. Any other package needs an install line.',
  'Template rules:',
  '- Do not touch vite.config.ts, index.html, src/main.tsx, tsconfig files or package.json scripts; the dev server is managed for you.',
  '- Tailwind v4: src/index.css starts with @import "tailwindcss"; customise with @theme in CSS. No tailwind.config.js, no postcss config.',
  '- Imports are relative (./components/X); there is no "@/" path alias.',
  '- React 19 typing: import types with `import type`; use React.ReactNode / JSX from "react"; no default React import needed for JSX; event types like React.ChangeEvent<HTMLInputElement>.',
  '- Browser only: no Node APIs, no server, no env secrets. Persist with localStorage (guard JSON.parse with try/catch).',
].join('\n');

export const FILE_FORMAT = [
  'Write every file as a heredoc block; nothing else is saved:',
  "cat > src/path/File.tsx << 'EOF'",
  '...the complete file content...',
  'EOF',
  'Always the complete file: never a diff, never "... rest unchanged" placeholders. Paths are relative to the project (src/...), never absolute, never "..".',
  'To change a few lines of an EXISTING file you may send search/replace blocks instead of the whole file; the SEARCH lines are copied exactly from the current file and must be unique in it:',
  'src/path/File.tsx',
  '<<<<<<< SEARCH',
  '...the exact current lines...',
  '=======',
  '...the new lines...',
  '>>>>>>> REPLACE',
  'To delete a file write a line "rm src/path/File.tsx"; to rename or move one, "mv src/old.tsx src/new.tsx" (each alone on its line, outside any block).',
  'To add npm packages write a line "npm install <pkg> <pkg@version>" on its own, outside any block. Keep any notes short, outside the blocks.',
].join('\n');

/** The first words of each role's system prompt (also how test stand-ins tell roles apart). */
export const ROLE_INTRO: Record<PromptRole, string> = {
  blueprint: "You are Lathe's product designer.",
  designer: "You are Lathe's app designer.",
  implementer: "You are Lathe's implementer.",
  fixer: "You are Lathe's fixer.",
  summariser: "You are Lathe's summariser.",
};

/** Files as heredoc blocks with a delimiter that cannot clash with a file's own "EOF" lines. */
export function fileBlocks(files: StoredFile[]): string {
  return files
    .filter((f) => !isBinary(f))
    .map(
      (f) =>
        `cat > ${f.path} << '${FILE_BLOCK_END}'\n${f.content}${f.content.endsWith('\n') || f.content === '' ? '' : '\n'}${FILE_BLOCK_END}`,
    )
    .join('\n');
}

export function describeDiagnostic(d: Diagnostic): string {
  const at = [d.file ?? '', d.line !== null ? String(d.line) : '', d.column !== null ? String(d.column) : '']
    .filter((x) => x !== '')
    .join(':');
  return `- [${d.source}] ${at ? `${at} ` : ''}${d.message}`;
}

/** Which role a request is for, from the system prompt's first words (test stand-ins use this). */
export function readRole(messages: readonly { role: string; content: unknown }[]): PromptRole | null {
  const system = messages.find((m) => m.role === 'system');
  const text = typeof system?.content === 'string' ? system.content : '';
  for (const role of ['blueprint', 'designer', 'implementer', 'fixer', 'summariser'] as const)
    if (text.startsWith(ROLE_INTRO[role])) return role;
  return null;
}

/** The round's last message: "Done …", or "Finished …" naming the problems review left. */
export function roundEndMessage(r: { names: string[]; files: number; offline: boolean; problems: readonly Diagnostic[] }): string {
  const offline = r.offline ? ' (written by the built-in offline model; add an API key for a real LLM)' : '';
  const what = `in ${r.names.length} phase${r.names.length === 1 ? '' : 's'}: ${r.names.join(', ')}. The project has ${r.files} file${r.files === 1 ? '' : 's'}${offline}.`;
  return r.problems.length === 0 ? `Done ${what}` : `Finished ${what}\n${describeProblems(r.problems)}`;
}

/** The honest end of a round whose review left errors: how many, the first few, what to do. */
export function describeProblems(problems: readonly Diagnostic[]): string {
  const shown = problems.slice(0, 3).map((d) => describeDiagnostic(d).slice(0, 300));
  const more = problems.length > shown.length ? `\n- … and ${problems.length - shown.length} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'} remain${problems.length === 1 ? 's' : ''} after the automatic fixes, so the app may not work yet:\n${shown.join('\n')}${more}\nThey are listed under Problems; "Fix with AI" starts another round for them.`;
}
