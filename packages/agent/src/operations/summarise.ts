import type { AgentSnapshot, Blueprint, PhaseRecord } from '@lathe/protocol';
import type { StoredFile } from '../store';
import { renderBlueprint } from './blueprint';
import { countTokens, editDiffs } from './context';
import { type Prompt, ROLE_INTRO, type RoundRequest } from './shared';

/**
 * Summarise: what a follow-up is told about the project's past. Earlier rounds are described from
 * their stored phase designs (request, phases, their files); when that history outgrows its token
 * budget the model condenses it into a short account of what the app is now, and if that call
 * fails the newest part of the history is kept. The user's own edits since the last round go in
 * as diffs, leaving out files this round's phases already wrote (those are the agent's).
 */

/** Tokens the history of earlier rounds may take before the model is asked to condense it. */
export const SUMMARY_TOKENS = 1_500;

/** What earlier rounds built, from the stored phases and requests, oldest first. */
export function roundsSummary(phases: readonly PhaseRecord[], requests: readonly string[], currentRound: number): string | null {
  const lines: string[] = [];
  for (let round = 1; round < currentRound; round++) {
    const done = phases.filter((p) => p.round === round && p.spec);
    if (done.length === 0) continue;
    const request = requests[round - 1];
    lines.push(`Round ${round}${request ? ` ("${request.slice(0, 200)}")` : ''}:`);
    for (const p of done)
      lines.push(`- ${p.spec?.name}: ${p.spec?.description.slice(0, 300)} [${p.spec?.files.map((f) => f.path).join(', ')}]`);
  }
  return lines.length > 0 ? lines.join('\n') : null;
}

const SUMMARISER_SYSTEM = [
  ROLE_INTRO.summariser,
  'You condense the history of a web app project for the engineers who continue it.',
  'Answer in plain text, at most 200 words, no code and no markdown headings: what the app does now, its views and main components with their files, its data and where it persists, and every decision the user asked for that later work must keep (names, colours, behaviour).',
].join('\n');

export function summariserPrompt(history: string, blueprint: Blueprint | null): Prompt {
  const parts = [blueprint ? renderBlueprint(blueprint) : null, `History of the project, round by round:\n${history}`].filter(Boolean);
  return {
    messages: [
      { role: 'system', content: SUMMARISER_SYSTEM },
      { role: 'user', content: parts.join('\n\n') },
    ],
    offlineContext: { role: 'summariser', history },
  };
}

/** The newest lines of a history that fit the budget, marked as cut. */
function newestPart(history: string, budget: number): string {
  const lines = history.split('\n');
  const kept: string[] = [];
  let tokens = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    tokens += countTokens(line) + 1;
    if (tokens > budget) break;
    kept.unshift(line);
  }
  return `(older rounds left out for space)\n${kept.join('\n')}`;
}

export interface SummaryInput {
  phases: readonly PhaseRecord[];
  requests: readonly string[];
  round: number;
  blueprint: Blueprint | null;
}

export interface SummaryPort {
  ask(prompt: Prompt, signal: AbortSignal): Promise<string>;
  log(text: string): Promise<void>;
}

/** What earlier rounds built, condensed by the model when the history is long; null for a project's first round. */
export async function summariseRounds(input: SummaryInput, port: SummaryPort, signal: AbortSignal): Promise<string | null> {
  const history = roundsSummary(input.phases, input.requests, input.round);
  if (history === null || countTokens(history) <= SUMMARY_TOKENS) return history;
  try {
    const text = (await port.ask(summariserPrompt(history, input.blueprint), signal)).trim();
    if (text !== '') return `${text.slice(0, 4_000)}\n(A summary of ${input.round - 1} earlier rounds.)`;
    await port.log('The model returned an empty summary of earlier rounds; the newest rounds are sent as they are.');
  } catch (e) {
    if (signal.aborted) throw e;
    await port.log(
      `Summarising earlier rounds failed (${e instanceof Error ? e.message : String(e)}); the newest rounds are sent as they are.`,
    );
  }
  return newestPart(history, SUMMARY_TOKENS);
}

/**
 * The user's own edits since the last round as diffs: `before` is the project as the last round
 * left it, `agentWrote` the files this round's phases already wrote (the agent's, not the user's).
 */
export function userEditsSince(
  before: readonly StoredFile[] | null,
  now: readonly StoredFile[],
  agentWrote: ReadonlySet<string>,
): string | null {
  if (!before) return null;
  const notAgents = (list: readonly StoredFile[]) => list.filter((f) => !agentWrote.has(f.path));
  return editDiffs(notAgents(before), notAgents(now));
}

/** The follow-up part of a prompt (both null for a new project's round). */
export interface FollowUp {
  earlierRounds: string | null;
  userEdits: string | null;
}

export const NO_FOLLOW_UP: FollowUp = { earlierRounds: null, userEdits: null };

/**
 * A follow-up round's context for its prompts: what earlier rounds built (summarised once per
 * round) and the user's own edits since the last round.
 */
export class FollowUps {
  private summary: { round: number; text: string | null } | null = null;

  constructor(private readonly port: SummaryPort & { filesBeforeRound(round: number): Promise<StoredFile[] | null> }) {}

  async context(request: RoundRequest, snapshot: AgentSnapshot, files: StoredFile[], signal: AbortSignal): Promise<FollowUp> {
    if (request.kind !== 'message') return NO_FOLLOW_UP;
    const round = snapshot.round;
    if (this.summary?.round !== round) {
      const input = { phases: snapshot.phases, requests: request.history, round, blueprint: snapshot.blueprint ?? null };
      this.summary = { round, text: await summariseRounds(input, this.port, signal) };
    }
    const agentWrote = new Set(snapshot.phases.filter((p) => p.round === round).flatMap((p) => p.completedFiles));
    const before = await this.port.filesBeforeRound(round);
    return { earlierRounds: this.summary.text, userEdits: userEditsSince(before, files, agentWrote) };
  }
}
