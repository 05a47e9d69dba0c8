import type { Database, ProjectRow, Repositories } from '@lathe/db';
import { type AgentEvent, LatheError, type Models, type Project } from '@lathe/protocol';
import type { SandboxProvider } from '@lathe/sandbox';
import type { AgentManager } from './agent-manager';
import type { Sessions, SessionUser } from './auth';
import { type ApiConfig, previewUrlFor } from './config';
import type { SocketTokens } from './crypto';
import type { GitService } from './git/service';
import type { History } from './history';
import type { IdleSandboxes } from './idle-sandboxes';
import type { PreviewAccess } from './preview-access';
import { checkSandboxQuota, checkStorageQuota } from './quotas';
import type { GenerationLimiter } from './rate-limit';
import { checkTokenBudget } from './usage';

export type Log = (line: string) => void;

/** What every route needs; built once per server instance (no process-global state). */
export interface AppContext {
  config: ApiConfig;
  version: string;
  db: Database;
  repos: Repositories;
  sessions: Sessions;
  sandboxes: SandboxProvider;
  agents: AgentManager;
  limiter: GenerationLimiter;
  socketTokens: SocketTokens;
  previewAccess: PreviewAccess;
  encryptionKey: Buffer;
  /** True when generations without a user key use the built-in offline model. */
  llmOffline: boolean;
  /** Which dev servers are used; stops the unwatched ones to make room under a user's sandbox quota. */
  sandboxActivity: IdleSandboxes;
  /** The models a user's generations use (their own key, if stored, wins). */
  models: (userId: string) => Promise<Models>;
  /** Projects' git repositories, git credentials and pushes. */
  git: GitService;
  /** Version history: `ctx.history.record(projectId, { kind, label })` records the current files as a version. */
  history: History;
  /** Sends a stored event to the project's open sockets. */
  publish: (event: AgentEvent) => void;
  log: Log;
}

export function toProject(config: ApiConfig, row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    initialPrompt: row.initialPrompt,
    template: row.template,
    status: row.status,
    agentState: row.agentState,
    previewUrl: previewUrlFor(config, row.previewToken),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The signed-in user and their project; strangers get the same 404 as a missing project. */
export async function ownedProject(ctx: AppContext, headers: Headers, id: string): Promise<{ user: SessionUser; project: ProjectRow }> {
  const user = await ctx.sessions.require(headers);
  const project = UUID.test(id) ? await ctx.repos.projects.get(id, user.id) : null;
  if (!project) throw new LatheError('not_found', 'project not found');
  return { user, project };
}

/** Starts a generation round after the per-user limits agree. */
export async function startRound(
  ctx: AppContext,
  userId: string,
  project: ProjectRow,
  kind: 'generate' | 'message',
  text: string,
): Promise<void> {
  if (ctx.agents.isBusy(project.id)) {
    throw new LatheError('busy', 'the agent is already working on this project; cancel it or wait for it to finish');
  }
  if (ctx.history.isRestoring(project.id))
    throw new LatheError('busy', 'a version of this project is being restored; try again in a moment');
  await checkTokenBudget(ctx.repos.usage, userId, ctx.config.monthlyTokenBudget);
  await checkStorageQuota(ctx, userId);
  // A round ends by serving the app, which wakes the project's sandbox.
  await checkSandboxQuota(ctx, userId, project.id);
  ctx.limiter.take(userId, ctx.agents.activeCountFor(userId));
  await ctx.agents.startRound(project, kind, text);
}
