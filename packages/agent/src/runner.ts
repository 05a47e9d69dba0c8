import {
  type AgentSnapshot,
  type Diagnostic,
  initialSnapshot,
  isActiveState,
  LatheError,
  type NewEvent,
  type PhaseSpec,
  toErrorInfo,
} from '@lathe/protocol';
import type { Sandbox } from '@lathe/sandbox';
import { Checker } from './checks';
import type { AgentConfig, LlmRole } from './config';
import { FileStream } from './file-stream';
import { Installer } from './installs';
import type { CallUsage, LlmClient } from './llm';
import { type Effect, type MachineEvent, transition } from './machine';
import { designPhase } from './operations/design';
import { fixerPrompt, reviewAndFix } from './operations/fix';
import { implementFiles } from './operations/implement';
import type { RoundRequest } from './operations/shared';
import { roundEndMessage } from './operations/shared';
import { FollowUps } from './operations/summarise';
import { costOf, type PriceTable } from './pricing';
import { type AgentListener, Reporter } from './reporter';
import type { AgentStore } from './store';

/** The sandbox operations the agent needs (the full contract is in @lathe/sandbox). */
export type AgentSandbox = Pick<
  Sandbox,
  'writeFiles' | 'readFile' | 'deleteFile' | 'install' | 'startDevServer' | 'diagnostics' | 'renderCheck' | 'logs'
>;

export interface AgentOptions {
  projectId: string;
  store: AgentStore;
  sandbox: AgentSandbox;
  llm: LlmClient;
  /** `prices` values calls the provider reported no cost for (none: such calls stay unpriced). */
  config: Pick<AgentConfig, 'phaseBudget' | 'fixRounds' | 'offline'> &
    Partial<Pick<AgentConfig, 'contextTokens'>> & { prices?: PriceTable };
  /** The URL the browser uses for the preview (the proxy's); defaults to the sandbox's own URL. */
  previewUrl?: string | null;
}

export type { AgentListener };

// Tokens of project file contents a prompt may carry, unless configured.
const DEFAULT_CONTEXT_TOKENS = 32_000;

/**
 * Runs one project's agent: feeds commands and effect results through the pure `transition`,
 * performs the effects through the injected store, sandbox and LLM, and emits every protocol
 * event (persisted first, so it carries its seq, then passed to subscribers).
 */
export class CodeGeneratorAgent {
  readonly projectId: string;
  private readonly store: AgentStore;
  private readonly sandbox: AgentSandbox;
  private readonly config: AgentOptions['config'];
  private readonly previewUrl: string | null;
  private readonly contextTokens: number;

  private snapshot: AgentSnapshot;
  private version: number;
  /** Transitions, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Effects, one at a time, in order. */
  private work: Promise<unknown> = Promise.resolve();
  private roundAbort: AbortController | null = null;
  private disposed = false;
  private readonly writing = new Set<string>();
  private request: RoundRequest | null = null;
  /** Errors the preview showed after the last phase: the next phase's implementer is told. */
  private carried: Diagnostic[] = [];
  private readonly installer: Installer;
  private readonly checker: Checker;
  private readonly reporter: Reporter;
  private readonly files: FileStream;
  private readonly followUps: FollowUps;

  private constructor(options: AgentOptions, stored: { snapshot: AgentSnapshot; version: number } | null) {
    this.projectId = options.projectId;
    this.store = options.store;
    this.sandbox = options.sandbox;
    this.config = options.config;
    this.previewUrl = options.previewUrl ?? null;
    this.reporter = new Reporter(options.store, options.projectId, {
      delivered: (lastSeq) => {
        this.snapshot = { ...this.snapshot, lastSeq };
      },
      failed: (e) => void this.dispatch({ type: 'failed', error: toErrorInfo(e, 'event_log_failed') }),
    });
    const project = {
      projectId: options.projectId,
      store: options.store,
      sandbox: options.sandbox,
      emit: (event: NewEvent) => this.emit(event),
      log: (text: string) => this.log(text),
    };
    this.checker = new Checker(project);
    this.installer = new Installer(project);
    this.files = new FileStream({
      ...project,
      llm: options.llm,
      writing: this.writing,
      fileSaved: async (path, signal) => {
        if (this.snapshot.state === 'IMPLEMENTING_PHASE') await this.feed({ type: 'file_completed', path }, signal);
      },
      recordUsage: (role, model, usage, signal) => this.recordUsage(role, model, usage, signal),
      reportSkipped: (skipped) => this.installer.reportSkipped(skipped),
      isDisposed: () => this.disposed,
    });
    this.followUps = new FollowUps({
      ask: (prompt, signal) => this.files.plan('summariser', prompt, signal),
      log: (text) => this.log(text),
      filesBeforeRound: (round) => options.store.filesBeforeRound(options.projectId, round),
    });
    this.contextTokens = options.config.contextTokens ?? DEFAULT_CONTEXT_TOKENS;
    this.snapshot = stored?.snapshot ?? initialSnapshot(options.projectId, options.config.offline);
    this.version = stored?.version ?? 0;
    if (this.snapshot.offlineModel !== options.config.offline) this.snapshot = { ...this.snapshot, offlineModel: options.config.offline };
  }

  /** The project's agent as stored (a fresh IDLE agent when nothing was saved yet). Call resume() to continue interrupted work. */
  static async load(options: AgentOptions): Promise<CodeGeneratorAgent> {
    const stored = await options.store.loadState(options.projectId);
    return new CodeGeneratorAgent(options, stored);
  }

  getState(): AgentSnapshot {
    return structuredClone(this.snapshot);
  }

  subscribe(listener: AgentListener): () => void {
    return this.reporter.subscribe(listener);
  }

  /** True while the agent streams this file (the API refuses user edits to it meanwhile). */
  isWriting(path: string): boolean {
    return this.writing.has(path);
  }

  /** Starts a round from a description. Rejects with `agent_busy` while a round runs. */
  async generate(description: string): Promise<void> {
    await this.command({ type: 'generate', description });
  }

  /** Starts a follow-up round on top of the existing files. */
  async message(text: string): Promise<void> {
    await this.command({ type: 'message', text });
  }

  /** Stops the running round at once (no-op when idle). */
  async cancel(): Promise<void> {
    await this.command({ type: 'cancel' });
  }

  /** Continues a round that was interrupted (server restart); no-op in a resting state. */
  async resume(): Promise<void> {
    await this.command({ type: 'resume' });
  }

  /** Resolves once no round is running and every effect and event has settled. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const w = this.work;
      const c = this.chain;
      await Promise.allSettled([w, c]);
      await this.reporter.settled();
      if (w === this.work && c === this.chain) return;
    }
  }

  /** Stops in-flight work without touching the stored state (the process is going away). */
  dispose(): void {
    this.disposed = true;
    this.roundAbort?.abort();
    this.reporter.close();
    this.writing.clear();
  }

  private async command(event: MachineEvent): Promise<void> {
    if (this.disposed) throw new LatheError('agent_disposed', 'This agent was shut down.');
    const effects = await this.dispatch(event);
    const rejected = effects.find((e) => e.type === 'rejected');
    if (rejected?.type === 'rejected') throw new LatheError(rejected.error.code, rejected.error.message);
  }

  private dispatch(event: MachineEvent): Promise<Effect[]> {
    const run = this.chain.then(() => this.apply(event));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(event: MachineEvent): Promise<Effect[]> {
    if (this.disposed) return [];
    // A round already running in this process must not be started twice.
    if (event.type === 'resume' && this.roundAbort !== null && !this.roundAbort.signal.aborted) return [];
    const before = this.snapshot;
    const { state, effects } = transition(before, event, { phaseBudget: this.config.phaseBudget });
    const starts = (!isActiveState(before.state) && isActiveState(state.state)) || (event.type === 'resume' && effects.length > 0);
    if (starts) this.roundAbort = new AbortController();
    if (effects.some((e) => e.type === 'abort_work')) this.abortRound();
    if (state !== before) {
      this.snapshot = state;
      if (state.state !== before.state) await this.emit({ type: 'state_change', payload: { from: before.state, to: state.state } });
      await this.save();
    }
    this.schedule(effects);
    return effects;
  }

  private schedule(effects: Effect[]): void {
    const signal = this.roundAbort?.signal;
    const work = effects.filter((e) => e.type !== 'abort_work' && e.type !== 'rejected' && e.type !== 'report_state');
    if (work.length === 0 || !signal) return;
    this.work = this.work.then(() => this.perform(work, signal)).catch((e: unknown) => this.onUnrecordable(e));
  }

  /**
   * Even reporting a failure failed (the store is unreachable): stop the round and show the
   * error in the in-memory state, so callers of getState() see it and a later command can retry.
   */
  private onUnrecordable(e: unknown): void {
    this.abortRound();
    this.snapshot = { ...this.snapshot, state: 'ERROR', lastError: toErrorInfo(e, 'store_unavailable') };
  }

  private abortRound(): void {
    this.roundAbort?.abort();
    this.writing.clear();
  }

  private async perform(effects: Effect[], signal: AbortSignal): Promise<void> {
    for (const effect of effects) {
      // Effects of a cancelled round are dropped, except reporting how it ended.
      if (this.disposed || (signal.aborted && effect.type !== 'round_failed')) return;
      try {
        await this.performOne(effect, signal);
      } catch (e) {
        if (this.disposed || signal.aborted) return;
        await this.dispatch({ type: 'failed', error: toErrorInfo(e) });
        return;
      }
    }
  }

  private async performOne(effect: Effect, signal: AbortSignal): Promise<void> {
    switch (effect.type) {
      case 'record_request': {
        this.request = null;
        this.carried = [];
        this.installer.newRound();
        return this.reporter.heard(effect.text);
      }
      case 'sync_sandbox':
        return this.installer.sync(signal);
      case 'design_phase':
        return this.designPhase(effect.phaseIndex, signal);
      case 'implement_phase':
        return this.implementPhase(effect.phaseIndex, signal);
      case 'install_deps':
        return this.installDeps(effect.phaseIndex, signal);
      case 'start_server': {
        const { url } = await this.sandbox.startDevServer();
        this.reporter.followDevLogs(this.sandbox);
        const previewUrl = this.previewUrl ?? url;
        await this.emit({ type: 'server_started', payload: { previewUrl } });
        // Between phases the preview is checked in a browser; the last phase's check is the review's.
        if (!this.isLastPhase()) this.carried = await this.checker.render(this.snapshot.currentPhase ?? 0, signal);
        await this.feed({ type: 'server_started', previewUrl }, signal);
        return;
      }
      case 'phase_done': {
        const files = await this.store.readFiles(this.projectId);
        await this.store.savePhaseSnapshot(this.projectId, this.snapshot.round, effect.phaseIndex, files);
        return;
      }
      case 'review':
        return this.review(signal);
      case 'round_complete':
        await this.completeRound();
        return this.saveLastSeq();
      case 'round_failed':
        await this.emit({ type: 'error', payload: effect.error });
        await this.say(`The generation stopped: ${effect.error.message}`);
        return this.saveLastSeq();
      case 'abort_work':
      case 'report_state':
      case 'rejected':
        return;
    }
  }

  /** Feeds an effect's result back, unless the round was cancelled meanwhile. */
  private async feed(event: MachineEvent, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.disposed) return;
    await this.dispatch(event);
  }

  private async currentRequest(): Promise<RoundRequest> {
    if (this.request) return this.request;
    const users = (await this.store.listMessages(this.projectId)).filter((m) => m.role === 'user').map((m) => m.content);
    const text = users.at(-1);
    if (text === undefined) throw new LatheError('no_request', 'There is no request to work on.');
    const history = users.slice(0, -1);
    // Derived from the log alone, so a resumed round sends the very same prompts.
    this.request = { kind: history.length === 0 ? 'generate' : 'message', text, history };
    return this.request;
  }

  private isLastPhase(): boolean {
    const phases = this.roundPhases();
    return phases.at(-1)?.spec?.lastPhase === true || phases.length >= this.config.phaseBudget;
  }

  private roundPhases(): { index: number; spec: PhaseSpec | null; completedFiles: string[] }[] {
    return this.snapshot.phases.filter((p) => p.round === this.snapshot.round);
  }

  private async designPhase(phaseIndex: number, signal: AbortSignal): Promise<void> {
    await this.emit({ type: 'phase_designing', payload: { phaseIndex } });
    const request = await this.currentRequest();
    const earlier = this.roundPhases().filter((p) => p.index < phaseIndex);
    const previousPhases = earlier.flatMap((p) => (p.spec ? [p.spec] : []));
    const files = await this.store.readFiles(this.projectId);
    const followUp = await this.followUps.context(request, this.snapshot, files, signal);
    const design = await designPhase(
      {
        request,
        phaseInRound: earlier.length,
        phaseBudget: this.config.phaseBudget,
        previousPhases,
        files,
        blueprint: this.snapshot.blueprint ?? null,
        ...followUp,
      },
      { ask: (prompt) => this.files.plan('designer', prompt, signal), emit: (event) => this.emit(event), log: (text) => this.log(text) },
    );
    if (design.blueprint) {
      await this.emit({ type: 'blueprint_updated', payload: { blueprint: design.blueprint } });
      await this.feed({ type: 'blueprint_made', blueprint: design.blueprint }, signal);
    }
    const { spec } = design;
    await this.emit({ type: 'phase_designed', payload: { phaseIndex, phase: spec } });
    await this.feed({ type: 'phase_designed', spec }, signal);
  }

  private async implementPhase(phaseIndex: number, signal: AbortSignal): Promise<void> {
    const record = this.snapshot.phases.find((p) => p.index === phaseIndex);
    const spec = record?.spec;
    if (!record || !spec) throw new LatheError('internal_error', `Phase ${phaseIndex} has no design.`);
    const request = await this.currentRequest();
    const files = await this.store.readFiles(this.projectId);
    const { userEdits } = await this.followUps.context(request, this.snapshot, files, signal);
    const input = {
      request,
      phaseInRound: this.roundPhases().filter((p) => p.index < phaseIndex).length,
      spec,
      filesToWrite: spec.files.map((f) => f.path).filter((p) => !record.completedFiles.includes(p)),
      files,
      blueprint: this.snapshot.blueprint ?? null,
      userEdits,
      budgetTokens: this.contextTokens,
      problems: this.carried,
    };
    const { installs } = await implementFiles(
      input,
      {
        stream: (prompt) => this.files.run('implementer', prompt, phaseIndex, this.completedIn(phaseIndex), signal),
        completed: () => this.completedIn(phaseIndex),
        log: (text) => this.log(text),
      },
      signal,
    );
    if (signal.aborted) return;
    this.installer.plan(phaseIndex, installs);
    await this.emit({ type: 'files_written', payload: { phaseIndex, paths: this.completedIn(phaseIndex) } });
    await this.feed({ type: 'phase_implemented' }, signal);
  }

  private completedIn(phaseIndex: number): string[] {
    return this.snapshot.phases.find((p) => p.index === phaseIndex)?.completedFiles ?? [];
  }

  private async installDeps(phaseIndex: number, signal: AbortSignal): Promise<void> {
    const spec = this.snapshot.phases.find((p) => p.index === phaseIndex)?.spec;
    await this.installer.installPlanned(phaseIndex, spec?.installCommands ?? [], await this.missingPackages(), signal);
    await this.feed({ type: 'deps_installed' }, signal);
  }

  private missingPackages(): Promise<string[]> {
    return this.checker.missingPackages((name) => this.installer.skippedThisRound(name));
  }

  private async review(signal: AbortSignal): Promise<void> {
    const phaseIndex = this.snapshot.currentPhase ?? 0;
    const problems = await reviewAndFix(
      {
        fixRounds: this.config.fixRounds,
        repair: async () => {
          const missing = await this.missingPackages();
          if (missing.length > 0) await this.installer.install(missing, phaseIndex, signal);
        },
        diagnostics: () => this.checker.all(phaseIndex, signal),
        reported: (payload) => this.emit({ type: 'review_result', payload }),
        prompt: async (errors, previousAttempt) =>
          fixerPrompt({
            diagnostics: errors,
            files: await this.store.readFiles(this.projectId),
            notes: this.installer.notes(),
            previousAttempt,
            blueprint: this.snapshot.blueprint ?? null,
            budgetTokens: this.contextTokens,
          }),
        stream: (prompt) => this.files.run('fixer', prompt, phaseIndex, [], signal),
        install: (packages) => this.installer.install(packages, phaseIndex, signal),
        log: (text) => this.log(text),
      },
      signal,
    );
    await this.feed({ type: 'review_done', problems }, signal);
  }

  private async completeRound(): Promise<void> {
    const phases = this.roundPhases();
    const files = await this.store.listPaths(this.projectId);
    await this.emit({ type: 'generation_complete', payload: { round: this.snapshot.round, phases: phases.length, files: files.length } });
    const names = phases.flatMap((p) => (p.spec ? [p.spec.name] : []));
    await this.say(roundEndMessage({ names, files: files.length, offline: this.config.offline, problems: this.snapshot.problems ?? [] }));
  }

  private say(content: string): Promise<void> {
    return this.reporter.say(content);
  }

  private log(text: string): Promise<void> {
    return this.reporter.log(text);
  }

  /** Saves the snapshot once more after a round's closing events, so its lastSeq covers them. */
  private saveLastSeq(): Promise<void> {
    const run = this.chain.then(() => this.save());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async save(): Promise<void> {
    if (this.disposed) return;
    try {
      this.version = await this.store.saveState(this.projectId, this.snapshot, this.version);
    } catch (e) {
      // Another process owns this project now: this instance must stop writing at once.
      if (e instanceof LatheError && e.code === 'stale_state') this.dispose();
      throw e;
    }
  }

  private emit(event: NewEvent): Promise<void> {
    return this.reporter.emit(event);
  }

  /**
   * One model call's tokens and cost as an `llm_usage` event (the API's ledger and budget count
   * them), priced from the table when the provider gave no cost; then counted in the state.
   * Emitted even if the round was cancelled meanwhile: the tokens were spent.
   */
  private async recordUsage(role: LlmRole, model: string, usage: CallUsage, signal: AbortSignal): Promise<void> {
    const costUsd = usage.costUsd ?? (this.config.prices ? costOf(this.config.prices, model, usage) : null);
    await this.emit({ type: 'llm_usage', payload: { role, model, ...usage, costUsd } });
    await this.feed({ type: 'usage_recorded', usage: { ...usage, costUsd: costUsd ?? undefined } }, signal);
  }
}
