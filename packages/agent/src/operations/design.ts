import { type Blueprint, check, LatheError, type NewEvent, type PhaseSpec, PhaseSpecSchema } from '@lathe/protocol';
import { checkProjectPath } from '@lathe/sandbox';
import { jsonrepair } from 'jsonrepair';
import type { ChatMessage } from '../llm';
import type { StoredFile } from '../store';
import { stripReasoning } from '../stream-text';
import { protectedFileReason } from '../template-contract';
import { BLUEPRINT_REQUEST, BLUEPRINT_REVISION, readBlueprint, renderBlueprint } from './blueprint';
import { dependencyLine, fileTree } from './context';
import { type Prompt, ROLE_INTRO, type RoundRequest, STACK } from './shared';

/**
 * Phase design: the designer plans the next phase as JSON (and, for a new project, the blueprint
 * in the same call). Owns its prompt, its context (tree, dependencies, blueprint, what earlier
 * rounds built, the user's own edits) and the tolerant reading of the answer.
 */

export interface DesignInput {
  request: RoundRequest;
  phaseInRound: number;
  phaseBudget: number;
  /** Phases designed earlier in this round. */
  previousPhases: PhaseSpec[];
  files: StoredFile[];
  blueprint: Blueprint | null;
  /** What earlier rounds built (follow-ups). */
  earlierRounds: string | null;
  /** The user's own edits since the last round, as diffs (follow-ups). */
  userEdits: string | null;
}

export interface Design {
  spec: PhaseSpec;
  /** A new or revised blueprint, when the answer carried one. */
  blueprint: Blueprint | null;
}

const DESIGNER_SYSTEM = [
  ROLE_INTRO.designer,
  `You plan a web app in small phases. ${STACK}`,
  'The phase schema: {"name": string, "description": string, "files": [{"path": string, "purpose": string}], "installCommands": [string], "lastPhase": boolean}',
  'A phase lists the files it creates or rewrites (at most about 8). installCommands are "npm install ..." lines, usually none.',
  'The first phase must already produce a working app; later phases refine it. Set lastPhase to true when the request is fully served. A new app takes 1 to 3 phases; a change to an existing app takes one phase unless it is truly large.',
  "The app's title is a visible <h1> in src/App.tsx.",
  'Answer with ONE JSON object and nothing else: the phase object, unless told to wrap it with a blueprint.',
].join('\n');

export function designerPrompt(c: DesignInput): Prompt {
  const offlineContext = {
    role: 'designer',
    kind: c.request.kind,
    request: c.request.text,
    history: c.request.history,
    phaseInRound: c.phaseInRound,
    phaseBudget: c.phaseBudget,
    previousPhases: c.previousPhases.map((p) => p.name),
    existingFiles: c.files.map((f) => f.path),
    wantsBlueprint: wantsBlueprint(c),
  };
  const paths = c.files.map((f) => f.path);
  const lines: string[] = [];
  if (c.blueprint) lines.push(renderBlueprint(c.blueprint));
  lines.push(`Project files:\n${paths.length > 0 ? fileTree(paths) : '(only the template)'}`);
  lines.push(`Dependencies: ${dependencyLine(c.files)}`);
  if (c.earlierRounds) lines.push(`Built so far:\n${c.earlierRounds}`);
  if (c.userEdits) lines.push(`The user edited these files by hand since the last round (keep their changes):\n${c.userEdits}`);
  if (c.request.history.length > 0) lines.push(`Earlier requests:\n${c.request.history.map((h) => `- ${h}`).join('\n')}`);
  if (c.previousPhases.length > 0) {
    lines.push(
      `Phases done in this round:\n${c.previousPhases.map((p, i) => `${i + 1}. ${p.name}: ${p.description} (files: ${p.files.map((f) => f.path).join(', ')})`).join('\n')}`,
    );
  }
  lines.push(`${c.request.kind === 'generate' ? 'Build this app' : 'The app exists; make this change'}: ${c.request.text}`);
  if (wantsBlueprint(c)) lines.push(BLUEPRINT_REQUEST);
  else if (c.request.kind === 'message' && c.phaseInRound === 0) lines.push(BLUEPRINT_REVISION);
  const last = c.phaseInRound + 1 >= c.phaseBudget;
  lines.push(`Design phase ${c.phaseInRound + 1} of at most ${c.phaseBudget}${last ? ' (this must be the last phase)' : ''}.`);
  return {
    messages: [
      { role: 'system', content: DESIGNER_SYSTEM },
      { role: 'user', content: lines.join('\n\n') },
    ],
    offlineContext,
  };
}

function wantsBlueprint(c: DesignInput): boolean {
  return c.blueprint === null && c.request.kind === 'generate' && c.phaseInRound === 0;
}

/** Reads the designer's answer the way a careful person would (see readPlanJson), validated as a PhaseSpec. */
export function parseDesign(text: string): { ok: true; design: Design } | { ok: false; error: string } {
  const read = readPlanJson(text);
  if (!read.ok) return read;
  const checked = check(PhaseSpecSchema, coercePhaseSpec(read.value));
  if (!checked.ok) return { ok: false, error: `the plan does not match the schema (${checked.error})` };
  if (checked.value.files.length === 0 && checked.value.installCommands.length === 0)
    return { ok: false, error: 'the plan lists no files to write ("files" is missing or empty)' };
  return { ok: true, design: { spec: checked.value, blueprint: readBlueprint(read.value.blueprint) } };
}

/** The phase alone (tests and callers that do not care about blueprints). */
export function parsePhaseSpec(text: string): { ok: true; spec: PhaseSpec } | { ok: false; error: string } {
  const parsed = parseDesign(text);
  return parsed.ok ? { ok: true, spec: parsed.design.spec } : parsed;
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

export function designerRetryPrompt(previous: Prompt, answer: string, error: string): Prompt {
  const retry: ChatMessage[] = [
    ...previous.messages,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `I could not use that answer: ${error}. Answer again with only the JSON object in the schema from the instructions, no text before or after it.`,
    },
  ];
  return { messages: retry, offlineContext: previous.offlineContext };
}

/**
 * The plan's files as the project may have them: unsafe paths refused (reported as errors),
 * template files and package.json left out (noted), duplicates dropped.
 */
export function sanitizeSpec(spec: PhaseSpec): { spec: PhaseSpec; unsafe: string[]; leftOut: string[] } {
  const files: PhaseSpec['files'] = [];
  const unsafe: string[] = [];
  const leftOut: string[] = [];
  for (const f of spec.files) {
    const checked = checkProjectPath(f.path);
    if (!checked.ok) {
      unsafe.push(`Refused to write ${JSON.stringify(f.path)}: ${checked.message}.`);
      continue;
    }
    const refused = checked.path === 'package.json' ? 'dependencies come from install lines' : protectedFileReason(checked.path);
    if (refused !== null) {
      leftOut.push(`The plan's ${checked.path} is left out: ${refused}.`);
      continue;
    }
    if (!files.some((x) => x.path === checked.path)) files.push({ path: checked.path, purpose: f.purpose });
  }
  return { spec: { ...spec, files }, unsafe, leftOut };
}

/** What the design operation needs from the runner: one model call (usage and retries are the runner's), events and log lines. */
export interface DesignDeps {
  ask(prompt: Prompt): Promise<string>;
  emit(event: NewEvent): Promise<void>;
  log(text: string): Promise<void>;
}

/**
 * Designs one phase: one call, and one re-ask that says exactly what was wrong. The plan's unsafe
 * paths are reported as errors and template files it names are left out (with a log line).
 */
export async function designPhase(input: DesignInput, deps: DesignDeps): Promise<Design> {
  const prompt = designerPrompt(input);
  const answer = await deps.ask(prompt);
  let parsed = parseDesign(answer);
  if (!parsed.ok) {
    await deps.log(`The phase design was unusable (${parsed.error}); asking again and saying why.`);
    parsed = parseDesign(await deps.ask(designerRetryPrompt(prompt, answer, parsed.error)));
  }
  if (!parsed.ok) throw new LatheError('invalid_phase_design', `The model did not return a usable phase design: ${parsed.error}.`);
  const { spec, unsafe, leftOut } = sanitizeSpec(parsed.design.spec);
  for (const message of unsafe) await deps.emit({ type: 'error', payload: { code: 'unsafe_path', message } });
  for (const note of leftOut) await deps.log(note);
  return { ...parsed.design, spec };
}
