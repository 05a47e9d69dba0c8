import type { Blueprint, PhaseSpec } from '@lathe/protocol';
import { readRole } from '../operations/shared';
import { createHeredocParser } from '../parser';
import { applyFollowUp, buildApp, OFFLINE_FOOTER, type OfflineApp } from './apps';

/**
 * The offline model's brain: reads the role from the system prompt and Lathe's structured input
 * (the request's `lathe_context`, which only this model is sent) and answers deterministically, as a real model would (JSON for the designer, heredoc files for
 * the implementer and fixer).
 */
export interface IncomingMessage {
  role: string;
  content: unknown;
}

interface DesignerContext {
  kind: 'generate' | 'message';
  request: string;
  history: string[];
  phaseInRound: number;
  existingFiles: string[];
  /** The first design of a new project also makes its blueprint. */
  wantsBlueprint: boolean;
}

interface ImplementerContext {
  kind: 'generate' | 'message';
  request: string;
  history: string[];
  phaseInRound: number;
  phase: PhaseSpec;
  filesToWrite: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function lastUser(messages: readonly IncomingMessage[]): string {
  // A designer re-ask appends messages; the context sits in the first user message.
  const user = messages.find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : '';
}

/** The app a round builds on: the project's first request, for follow-ups too. */
function baseApp(ctx: { kind: string; request: string; history: string[] }): OfflineApp {
  return buildApp(ctx.kind === 'generate' ? ctx.request : (ctx.history[0] ?? ctx.request));
}

function design(ctx: DesignerContext): PhaseSpec {
  if (ctx.kind === 'message' && ctx.existingFiles.includes('src/App.tsx')) {
    return {
      name: 'Follow-up',
      description: `Apply the request: ${ctx.request.slice(0, 300)}`,
      files: [{ path: 'src/App.tsx', purpose: 'Apply the requested change' }],
      installCommands: [],
      lastPhase: true,
    };
  }
  const app = baseApp({ ...ctx, kind: 'generate' });
  const i = Math.min(ctx.phaseInRound, app.phases.length - 1);
  const phase = app.phases[i];
  if (!phase) throw new Error('the offline app library has an app without phases');
  return {
    name: phase.name,
    description: phase.description,
    files: phase.files.map((f) => ({ path: f.path, purpose: f.purpose })),
    installCommands: [],
    lastPhase: i >= app.phases.length - 1,
  };
}

/** Files shown to the implementer in the prompt, read back with the heredoc parser. */
function promptFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  const parser = createHeredocParser();
  for (const item of [...parser.push(text), ...parser.end()]) if (item.type === 'file_end') files.set(item.path, item.content);
  return files;
}

function block(path: string, content: string): string {
  return `cat > ${path} << 'EOF'\n${content}${content.endsWith('\n') ? '' : '\n'}EOF\n`;
}

function implement(ctx: ImplementerContext, prompt: string): string {
  const current = promptFiles(prompt);
  const out: string[] = [`# ${OFFLINE_FOOTER.replace('Built by', 'Written by')}: phase "${ctx.phase.name}".\n`];
  if (ctx.kind === 'message' && current.has('src/App.tsx')) {
    for (const path of ctx.filesToWrite) {
      const existing = current.get(path);
      if (path === 'src/App.tsx' && existing !== undefined) out.push(editOrBlock(path, existing, applyFollowUp(existing, ctx.request)));
    }
    return out.join('\n');
  }
  const app = baseApp({ ...ctx, kind: 'generate' });
  const phase = app.phases.find((p) => p.name === ctx.phase.name) ?? app.phases[Math.min(ctx.phaseInRound, app.phases.length - 1)];
  for (const path of ctx.filesToWrite) {
    const file = phase?.files.find((f) => f.path === path);
    out.push(file ? block(path, file.content) : block(path, 'export {};\n'));
  }
  return out.join('\n');
}

/**
 * A small change as one search/replace edit block (as real models send them), a large one as the
 * whole file: the changed lines plus one line of context on each side.
 */
function editOrBlock(path: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const from = Math.max(0, start - 1);
  const oldLines = a.slice(from, a.length - Math.max(0, end - 1));
  const newLines = b.slice(from, b.length - Math.max(0, end - 1));
  const search = `${oldLines.join('\n')}\n`;
  if (before === after || oldLines.length * 2 > a.length || before.split(search).length !== 2) return block(path, after);
  return `${path}\n<<<<<<< SEARCH\n${search}=======\n${newLines.join('\n')}\n>>>>>>> REPLACE\n`;
}

function parseDesignerContext(v: unknown): DesignerContext | null {
  if (!isObject(v) || typeof v.request !== 'string') return null;
  return {
    kind: v.kind === 'message' ? 'message' : 'generate',
    request: v.request,
    history: strings(v.history),
    phaseInRound: typeof v.phaseInRound === 'number' ? v.phaseInRound : 0,
    existingFiles: strings(v.existingFiles),
    wantsBlueprint: v.wantsBlueprint === true,
  };
}

function parseImplementerContext(v: unknown): ImplementerContext | null {
  const base = parseDesignerContext(v);
  if (!base || !isObject(v) || !isObject(v.phase) || typeof v.phase.name !== 'string') return null;
  const phase: PhaseSpec = {
    name: v.phase.name,
    description: typeof v.phase.description === 'string' ? v.phase.description : '',
    files: [],
    installCommands: [],
    lastPhase: v.phase.lastPhase === true,
  };
  return { ...base, phase, filesToWrite: strings(v.filesToWrite) };
}

/** A blueprint for one of the offline apps: its title, its phases as the roadmap, the house style. */
function blueprintOf(app: OfflineApp): Blueprint {
  return {
    title: app.title,
    description: `${app.title}: a small, polished single-page app that keeps its data in this browser.`,
    style: {
      palette: ['indigo-600 (accent)', 'slate-50 / slate-950 (background)', 'slate-900 / slate-100 (text)'],
      typography: 'system UI sans-serif; bold headings',
      layout: 'one centred column of cards',
    },
    views: [{ name: app.title, description: 'The whole app on one page' }],
    components: [...new Set(app.phases.flatMap((p) => p.files.map((f) => f.path.replace(/^.*\//, '').replace(/\.tsx?$/, ''))))],
    dataModel: 'Kept in component state and localStorage',
    roadmap: app.phases.map((p) => ({ name: p.name, description: p.description })),
  };
}

/** A condensed history: the phases' names and files, without their descriptions. */
function offlineSummary(context: unknown): string {
  const history = typeof context === 'object' && context !== null ? (context as { history?: unknown }).history : undefined;
  if (typeof history !== 'string') return 'The app as earlier rounds built it.';
  const phases = history.split('\n').flatMap((line) => {
    const m = /^- ([^:]+):.*\[([^\]]*)\]$/.exec(line);
    return m ? [`${m[1]} (${m[2]})`] : [];
  });
  return `Built so far: ${phases.join('; ')}.`;
}

/** The offline model's answer to one chat request. */
export function offlineAnswer(messages: readonly IncomingMessage[], context: unknown): string {
  const role = readRole(messages);
  const prompt = lastUser(messages);
  if (role === 'designer') {
    const ctx = parseDesignerContext(context);
    if (ctx?.wantsBlueprint) return JSON.stringify({ blueprint: blueprintOf(baseApp(ctx)), phase: design(ctx) }, null, 2);
    if (ctx) return JSON.stringify(design(ctx), null, 2);
  }
  if (role === 'implementer') {
    const ctx = parseImplementerContext(context);
    if (ctx) return implement(ctx, prompt);
  }
  if (role === 'summariser') return offlineSummary(context);
  if (role === 'fixer') {
    return '# The offline model cannot repair these errors by itself; connect an LLM (set LATHE_LLM_API_KEY) for automatic fixes.\n';
  }
  return "I am Lathe's built-in offline model. I only answer Lathe's own designer and implementer prompts; set an API key to use a real LLM.";
}
