import type { ProjectRow, Repositories } from '@lathe/db';
import {
  type AgentEvent,
  type AgentSnapshot,
  type AgentStateName,
  type FileEntry,
  isActiveState,
  LatheError,
  type ProjectStatus,
} from '@lathe/protocol';
import type { Sandbox, SandboxProvider } from '@lathe/sandbox';
import type { Log } from './context';
import { EventHygiene } from './event-hygiene';
import type { ProjectLocks } from './project-locks';

/** One project's live agent, as the manager drives it (see ./agent-runtime.ts). */
export interface LiveAgent {
  snapshot(): AgentSnapshot;
  startRound(kind: 'generate' | 'message', text: string): Promise<void>;
  cancel(): Promise<void>;
  /** Continue a generation interrupted by a restart. */
  resume(): Promise<void>;
  /** True while the agent streams this path (user edits to it are refused meanwhile). */
  isWriting(path: string): boolean;
  /** Stops in-flight work without changing the stored state (server shutdown). */
  stop(): Promise<void>;
}

export interface AgentFactoryInput {
  project: ProjectRow;
  /** Every persisted event of this agent, in seq order. */
  onEvent: (event: AgentEvent) => void;
}

export type AgentFactory = (input: AgentFactoryInput) => Promise<LiveAgent>;

export interface AgentManagerOptions {
  repos: Repositories;
  sandboxes: SandboxProvider;
  locks: ProjectLocks;
  createAgent: AgentFactory;
  /** Whether agents use the built-in offline model (for snapshots of unloaded agents). */
  offlineModel: boolean;
  /** Hands an event to the sockets of its project. */
  publish: (event: AgentEvent) => void;
  /** How many sockets watch a project (watched agents are never evicted). */
  viewers: (projectId: string) => number;
  /** Closes the sockets of a project that is going away. */
  closeViewers: (projectId: string) => void;
  idleMs: number;
  /** Log events kept per project (older ones are deleted; see ./event-hygiene.ts). */
  logRing: number;
  log: Log;
}

/** The project's list-view status as its agent moves (other states leave it unchanged). */
const STATUS_FOR_STATE: Partial<Record<AgentStateName, ProjectStatus>> = {
  DESIGNING_PHASE: 'generating',
  COMPLETE: 'ready',
  ERROR: 'error',
  CANCELLED: 'cancelled',
};

interface Entry {
  agent: LiveAgent;
  ownerId: string;
  lastUsed: number;
}

/**
 * One live agent per project in this process: created on demand (holding the project's
 * advisory lock), evicted when idle, resumed after a restart.
 */
export class AgentManager {
  readonly #live = new Map<string, Entry>();
  readonly #creating = new Map<string, Promise<Entry>>();
  readonly #devServers = new Map<string, Promise<string>>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #hygiene: EventHygiene;
  #stopping = false;

  constructor(private readonly opts: AgentManagerOptions) {
    this.#hygiene = new EventHygiene(opts.repos.events, opts.logRing, opts.log);
    this.#sweeper = setInterval(() => void this.#evictIdle(), Math.min(opts.idleMs, 30_000));
    this.#sweeper.unref?.();
  }

  /** Live agents in this process (for the bench and health). */
  get liveCount(): number {
    return this.#live.size;
  }

  /** True when this process runs the project's agent. */
  isLive(projectId: string): boolean {
    return this.#live.has(projectId);
  }

  isBusy(projectId: string): boolean {
    const entry = this.#live.get(projectId);
    return entry ? isActiveState(entry.agent.snapshot().state) : false;
  }

  activeCountFor(userId: string): number {
    let n = 0;
    for (const entry of this.#live.values()) {
      if (entry.ownerId === userId && isActiveState(entry.agent.snapshot().state)) n++;
    }
    return n;
  }

  async startRound(project: ProjectRow, kind: 'generate' | 'message', text: string): Promise<void> {
    const entry = await this.#get(project);
    await entry.agent.startRound(kind, text);
  }

  /** Cancels the running round; an interrupted round (crash, stopped process) is taken over first. */
  async cancel(project: ProjectRow): Promise<void> {
    let entry = this.#live.get(project.id);
    if (!entry) {
      const stored = await this.opts.repos.agentStates.load(project.id);
      if (!stored || !isActiveState(stored.snapshot.state)) return;
      entry = await this.#get(project);
    }
    await entry.agent.cancel();
  }

  /** The live agent's state, else the stored one (an agent need not be loaded to be looked at). */
  async snapshot(project: ProjectRow): Promise<AgentSnapshot> {
    const entry = this.#live.get(project.id);
    if (entry) {
      entry.lastUsed = Date.now();
      return entry.agent.snapshot();
    }
    const stored = await this.opts.repos.agentStates.load(project.id);
    if (stored) return { ...stored.snapshot, lastSeq: Math.max(stored.snapshot.lastSeq, await this.opts.repos.events.lastSeq(project.id)) };
    return {
      projectId: project.id,
      state: 'IDLE',
      round: 0,
      phases: [],
      currentPhase: null,
      lastSeq: await this.opts.repos.events.lastSeq(project.id),
      lastError: null,
      previewUrl: null,
      usage: { promptTokens: 0, completionTokens: 0 },
      offlineModel: this.opts.offlineModel,
    };
  }

  /** A user's edit: stored (the agent reads files from the store each phase) and written to the sandbox for HMR. */
  async userEdit(project: ProjectRow, path: string, content: string): Promise<FileEntry> {
    const entry = this.#live.get(project.id);
    if (entry?.agent.isWriting(path)) {
      throw new LatheError('file_busy', `the agent is writing ${path} right now; try again when it has finished`);
    }
    const row = await this.opts.repos.files.upsert(project.id, { path, content, phase: null });
    const sandbox = await this.opts.sandboxes.get(project.id);
    if (sandbox) await sandbox.writeFiles([{ path, content }]);
    return { path: row.path, size: row.size, hash: row.hash, encoding: row.encoding, phase: row.phase, updatedAt: row.updatedAt };
  }

  /**
   * The dev server origin for the preview proxy, starting it (and re-creating the sandbox from
   * the stored files) when needed. Null when the project has no files yet.
   */
  async devServer(project: ProjectRow): Promise<string | null> {
    const sandbox = await this.opts.sandboxes.get(project.id);
    const status = sandbox?.status();
    if (status?.url && (status.state === 'running' || status.state === 'starting' || status.state === 'restarting')) return status.url;
    let pending = this.#devServers.get(project.id);
    if (!pending) {
      pending = this.#startDevServer(project.id).finally(() => this.#devServers.delete(project.id));
      this.#devServers.set(project.id, pending);
    }
    const url = await pending;
    return url || null;
  }

  /**
   * The project's sandbox for a terminal: the existing one, else one re-created from the stored
   * files (a project without files gets the bare template).
   */
  async sandboxFor(project: ProjectRow): Promise<Sandbox> {
    const existing = await this.opts.sandboxes.get(project.id);
    if (existing) return existing;
    const files = await this.opts.repos.files.readMany(project.id);
    const sandbox = await this.opts.sandboxes.open(project.id, { template: 'react-vite' });
    if (files.length > 0) await sandbox.writeFiles(files.map((f) => ({ path: f.path, content: f.content, encoding: f.encoding })));
    return sandbox;
  }

  async #startDevServer(projectId: string): Promise<string> {
    let sandbox = await this.opts.sandboxes.get(projectId);
    if (!sandbox) {
      const files = await this.opts.repos.files.readMany(projectId);
      if (files.length === 0) return '';
      sandbox = await this.opts.sandboxes.open(projectId, { template: 'react-vite' });
      await sandbox.writeFiles(files.map((f) => ({ path: f.path, content: f.content, encoding: f.encoding })));
    }
    return (await sandbox.startDevServer()).url;
  }

  /** Stops the project's agent and destroys its sandbox (the project is being deleted). */
  async remove(projectId: string): Promise<void> {
    this.opts.closeViewers(projectId);
    const entry = this.#live.get(projectId) ?? (await this.#creating.get(projectId)?.catch(() => undefined));
    if (entry) {
      await entry.agent.stop();
      this.#live.delete(projectId);
    }
    await this.opts.sandboxes.destroy(projectId);
    await this.opts.locks.release(projectId);
  }

  /** After a start: continue every generation that a crash or restart interrupted (loading resumes it). */
  async resumeInterrupted(): Promise<number> {
    let resumed = 0;
    for (const project of await this.opts.repos.projects.listActive()) {
      try {
        await this.#get(project);
        resumed++;
      } catch (e) {
        // Another process holds it, or it cannot be loaded: the others still resume.
        this.opts.log(`not resuming project ${project.id}: ${(e as Error).message}`);
      }
    }
    return resumed;
  }

  /** Server shutdown: stop the agents (state is saved after every transition) and release locks. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#creating.values()]);
    await Promise.allSettled([...this.#live.values()].map((e) => e.agent.stop()));
    this.#live.clear();
    await this.#hygiene.idle();
  }

  async #get(project: ProjectRow): Promise<Entry> {
    if (this.#stopping) throw new LatheError('shutting_down', 'the server is shutting down; try again in a moment');
    const live = this.#live.get(project.id);
    if (live) {
      live.lastUsed = Date.now();
      return live;
    }
    let creating = this.#creating.get(project.id);
    if (!creating) {
      creating = this.#create(project).finally(() => this.#creating.delete(project.id));
      this.#creating.set(project.id, creating);
    }
    return creating;
  }

  async #create(project: ProjectRow): Promise<Entry> {
    if (!(await this.opts.locks.acquire(project.id))) {
      throw new LatheError('busy', 'another server process is running this project; try again shortly');
    }
    let agent: LiveAgent | null = null;
    try {
      agent = await this.opts.createAgent({ project, onEvent: (event) => this.#onEvent(event) });
      // Holding the lock while the stored state is busy means whoever ran it stopped or crashed.
      if (isActiveState(agent.snapshot().state)) await agent.resume();
      const entry: Entry = { agent, ownerId: project.ownerId, lastUsed: Date.now() };
      this.#live.set(project.id, entry);
      return entry;
    } catch (e) {
      await agent?.stop();
      await this.opts.locks.release(project.id);
      throw e;
    }
  }

  #onEvent(event: AgentEvent): void {
    const entry = this.#live.get(event.projectId);
    if (entry) entry.lastUsed = Date.now();
    this.opts.publish(event);
    this.#hygiene.onEvent(event);
    if (event.type === 'state_change') {
      const problems = event.payload.to === 'COMPLETE' && (entry?.agent.snapshot().problems?.length ?? 0) > 0;
      const status = problems ? 'problems' : STATUS_FOR_STATE[event.payload.to];
      if (status) {
        this.opts.repos.projects.setStatus(event.projectId, status).catch((e: unknown) => {
          this.opts.log(`cannot update the status of project ${event.projectId}: ${(e as Error).message}`);
        });
      }
    }
  }

  async #evictIdle(): Promise<void> {
    const cutoff = Date.now() - this.opts.idleMs;
    for (const [projectId, entry] of this.#live) {
      if (entry.lastUsed > cutoff || isActiveState(entry.agent.snapshot().state) || this.opts.viewers(projectId) > 0) continue;
      this.#live.delete(projectId);
      try {
        await entry.agent.stop();
        await this.opts.locks.release(projectId);
      } catch (e) {
        this.opts.log(`evicting the agent of ${projectId} failed: ${(e as Error).message}`);
      }
    }
  }
}
