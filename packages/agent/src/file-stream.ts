import { isLatheError, LIMITS, type NewEvent } from '@lathe/protocol';
import { planManifestMerge, type SkippedPackage } from '@lathe/sandbox';
import type { LlmRole } from './config';
import type { CallUsage, LlmClient } from './llm';
import { applyEdit } from './operations/edits';
import type { Prompt } from './operations/shared';
import { createHeredocParser, type ParserItem } from './parser';
import type { AgentSandbox } from './runner';
import { type AgentStore, isBinary } from './store';
import { protectedFileReason } from './template-contract';

/**
 * Turns a streamed implementer or fixer answer into saved files: parser items become IDE events as
 * they arrive, and each file, edit, delete or rename is applied (store first, then sandbox) when
 * its block is complete, under the template's rules. Continuations feed the same parser; a retry
 * from the start skips what was already saved.
 */

export interface StreamOutcome {
  /** Paths saved, edited, renamed to or deleted. */
  completed: string[];
  installs: string[];
  /** Files the answer started but that were not saved, with the reason (parser and size errors). */
  failed: Map<string, string>;
  /** The whole answer (for a re-ask that shows the model what it sent). */
  text: string;
  /** The answer still ended at the token limit after every continuation. */
  truncated: boolean;
}

/** What the file stream needs from the agent that runs it. */
export interface FileStreamPort {
  readonly projectId: string;
  readonly store: AgentStore;
  readonly sandbox: AgentSandbox;
  readonly llm: LlmClient;
  /** Paths being streamed now (the API refuses user edits to them). */
  readonly writing: Set<string>;
  emit(event: NewEvent): Promise<void>;
  log(text: string): Promise<void>;
  /** A file of the phase was saved. */
  fileSaved(path: string, signal: AbortSignal): Promise<void>;
  recordUsage(role: LlmRole, model: string, usage: CallUsage, signal: AbortSignal): Promise<void>;
  reportSkipped(skipped: SkippedPackage[]): Promise<void>;
  isDisposed(): boolean;
}

/** The parser's operations on existing files. */
export type FileOperation = Extract<ParserItem, { type: 'edit' | 'delete' | 'rename' }>;

export class FileStream {
  constructor(private readonly port: FileStreamPort) {}

  /** One planning call, answered as text: the designer's (JSON) or the summariser's (on the designer's model). */
  async plan(operation: 'designer' | 'summariser', prompt: Prompt, signal: AbortSignal): Promise<string> {
    const role = 'designer';
    const result = await this.port.llm.stream({
      role,
      messages: prompt.messages,
      offlineContext: prompt.offlineContext,
      json: operation === 'designer',
      signal,
      onDelta: () => undefined,
      onRestart: (info) => void this.port.log(retryMessage(role, info)),
      onContinue: (info) => void this.port.log(continueMessage(role, info.continuation)),
    });
    await this.port.recordUsage(role, result.model, result.usage, signal);
    return result.text;
  }

  /**
   * Streams a heredoc answer: file events as content arrives, each file saved (store, then
   * sandbox) at its end marker. After a retry the model starts over: files already saved are
   * skipped, and an unfinished one starts again with a new file_start.
   */
  async run(
    role: 'implementer' | 'fixer',
    prompt: Prompt,
    phaseIndex: number,
    alreadyDone: string[],
    signal: AbortSignal,
  ): Promise<StreamOutcome> {
    const outcome: StreamOutcome = { completed: [], installs: [], failed: new Map(), text: '', truncated: false };
    const skip = new Set(role === 'implementer' ? alreadyDone : []);
    let parser = createHeredocParser();
    let pending: Promise<void> = Promise.resolve();
    let skipping: string | null = null;
    let failure: unknown = null;
    const applied = new Set<string>();

    const handle = async (items: ParserItem[]): Promise<void> => {
      for (const item of items) {
        if (signal.aborted || this.port.isDisposed()) return;
        switch (item.type) {
          case 'file_start':
            if (skip.has(item.path)) {
              skipping = item.path;
              break;
            }
            skipping = null;
            this.port.writing.add(item.path);
            await this.port.emit({ type: 'file_start', payload: { phaseIndex, path: item.path } });
            break;
          case 'file_chunk':
            if (skipping !== item.path) void this.port.emit({ type: 'file_chunk', payload: { path: item.path, chunk: item.chunk } });
            break;
          case 'file_end':
            if (skipping === item.path) {
              skipping = null;
              break;
            }
            if (item.path === 'package.json') {
              this.port.writing.delete(item.path);
              skip.add(item.path);
              await this.mergeManifest(item.content, outcome);
              break;
            }
            {
              const refused = protectedFileReason(item.path);
              if (refused !== null) {
                this.port.writing.delete(item.path);
                const message = `"${item.path}" was not saved: ${refused}.`;
                outcome.failed.set(item.path, message);
                await this.port.emit({ type: 'error', payload: { code: 'protected_file', message } });
                break;
              }
            }
            if (Buffer.byteLength(item.content, 'utf8') > LIMITS.fileBytes) {
              this.port.writing.delete(item.path);
              const message = `"${item.path}" is larger than ${LIMITS.fileBytes} bytes and was not saved.`;
              outcome.failed.set(item.path, message);
              await this.port.emit({ type: 'error', payload: { code: 'file_too_large', message } });
              break;
            }
            await this.commitFile(item.path, item.content, phaseIndex, signal);
            skip.add(item.path);
            outcome.completed.push(item.path);
            break;
          case 'install':
            outcome.installs.push(...item.packages);
            break;
          case 'edit':
          case 'delete':
          case 'rename': {
            // After a restart the model starts over: an operation already done is not done twice.
            const key = JSON.stringify(item);
            if (applied.has(key)) break;
            applied.add(key);
            const done = await this.applyOperation(item, phaseIndex, signal);
            if (done.ok) outcome.completed.push(...done.paths);
            else if (done.code === 'binary_file') {
              // Not a failure to ask the model about again: the upload simply stays as it is.
              await this.port.log(`${done.path} was left as it is: ${done.reason}.`);
            } else {
              outcome.failed.set(done.path, done.reason);
              await this.port.emit({
                type: 'error',
                payload: { code: done.code, message: `${done.path} was not changed: ${done.reason}.` },
              });
            }
            break;
          }
          case 'error':
            if (item.path) {
              this.port.writing.delete(item.path);
              outcome.failed.set(item.path, item.message);
            }
            await this.port.emit({ type: 'error', payload: { code: item.code, message: item.message } });
            break;
        }
      }
    };
    const enqueue = (items: ParserItem[]) => {
      if (items.length === 0) return;
      pending = pending
        .then(() => (failure === null ? handle(items) : undefined))
        .catch((e: unknown) => {
          failure ??= e;
        });
    };

    const result = await this.port.llm.stream({
      role,
      messages: prompt.messages,
      offlineContext: prompt.offlineContext,
      signal,
      // A continuation feeds the same parser: an open block goes on where the cut left it.
      onDelta: (text) => enqueue(parser.push(text)),
      onRestart: (info) => {
        parser = createHeredocParser();
        pending = pending.then(async () => {
          this.port.writing.clear();
          outcome.failed.clear();
          await this.port.log(retryMessage(role, info));
        });
      },
      onContinue: (info) => {
        pending = pending.then(() => this.port.log(continueMessage(role, info.continuation)));
      },
    });
    enqueue(parser.end());
    await pending;
    if (failure !== null) throw failure;
    outcome.text = result.text;
    outcome.truncated = result.truncated;
    await this.port.recordUsage(role, result.model, result.usage, signal);
    return outcome;
  }

  /**
   * An edit, delete or rename from the model, under the same rules as a whole-file write (path
   * checked by the parser, template files protected); the store, the sandbox and the IDE follow.
   */
  async applyOperation(
    item: FileOperation,
    phaseIndex: number,
    signal: AbortSignal,
  ): Promise<{ ok: true; paths: string[] } | { ok: false; path: string; reason: string; code: string }> {
    const paths = item.type === 'rename' ? [item.from, item.to] : [item.path];
    for (const path of paths) {
      const refused = path === 'package.json' ? 'package.json changes only through install lines' : protectedFileReason(path);
      if (refused !== null) return { ok: false, path, reason: refused, code: 'protected_file' };
    }
    const stored = async (path: string) => (await this.port.store.readFiles(this.port.projectId, [path]))[0] ?? null;
    const read = async (path: string) => (await stored(path))?.content ?? null;
    // An uploaded binary (an image, a font) is the user's: the model may delete or replace it, not edit or move its bytes as text.
    const source = item.type === 'edit' ? item.path : item.type === 'rename' ? item.from : null;
    const binary = source === null ? null : await stored(source);
    if (source !== null && binary && isBinary(binary)) {
      return {
        ok: false,
        path: source,
        reason: 'it is a binary file the user uploaded: it can be replaced or deleted, not edited or renamed',
        code: 'binary_file',
      };
    }
    if (item.type === 'edit') {
      const result = applyEdit(item.path, await read(item.path), item.search, item.replace);
      if (!result.ok) return { ok: false, path: item.path, reason: result.reason, code: 'edit_failed' };
      await this.port.emit({ type: 'file_start', payload: { phaseIndex, path: item.path } });
      await this.port.emit({ type: 'file_chunk', payload: { path: item.path, chunk: result.content } });
      await this.commitFile(item.path, result.content, phaseIndex, signal);
      return { ok: true, paths: [item.path] };
    }
    if (item.type === 'delete') {
      if (await this.removeFile(item.path, phaseIndex)) return { ok: true, paths: [item.path] };
      // `rm -rf dir`: every stored file under it.
      const under = (await this.port.store.listPaths(this.port.projectId)).filter((p) => p.startsWith(`${item.path}/`));
      for (const path of under) await this.removeFile(path, phaseIndex);
      return under.length > 0
        ? { ok: true, paths: under }
        : { ok: false, path: item.path, reason: 'there is no such file', code: 'edit_failed' };
    }
    const content = await read(item.from);
    if (content === null) return { ok: false, path: item.from, reason: 'there is no such file to rename', code: 'edit_failed' };
    await this.port.emit({ type: 'file_renamed', payload: { phaseIndex, from: item.from, to: item.to } });
    await this.port.emit({ type: 'file_start', payload: { phaseIndex, path: item.to } });
    await this.port.emit({ type: 'file_chunk', payload: { path: item.to, chunk: content } });
    await this.commitFile(item.to, content, phaseIndex, signal);
    await this.removeFile(item.from, phaseIndex);
    return { ok: true, paths: [item.to] };
  }

  /** Deletes a file from the store and the sandbox; false when it did not exist. */
  async removeFile(path: string, phaseIndex: number): Promise<boolean> {
    const existed = await this.port.store.deleteFile(this.port.projectId, path);
    await this.port.sandbox.deleteFile(path).catch((e: unknown) => {
      if (!(isLatheError(e) && e.code === 'not_found')) throw e;
    });
    if (existed) await this.port.emit({ type: 'file_deleted', payload: { phaseIndex, path } });
    return existed;
  }

  /**
   * A model-written package.json is never written: its new dependencies (and devDependencies,
   * installed alike; a Vite app does not tell them apart) join the phase's installs.
   */
  async mergeManifest(proposed: string, outcome: StreamOutcome): Promise<void> {
    const current = await this.port.sandbox.readFile('package.json');
    const plan = planManifestMerge(current, proposed);
    if (!plan.ok) {
      await this.port.log(`The model's package.json was not used: ${plan.message}.`);
      return;
    }
    const added = [...plan.dependencies, ...plan.devDependencies];
    outcome.installs.push(...added);
    await this.port.log(
      `The model's package.json was not written (scripts and settings stay Lathe's); ${added.length > 0 ? `its new dependencies will be installed: ${added.join(', ')}` : 'it adds no dependencies'}.`,
    );
    await this.port.reportSkipped(plan.rejected);
  }

  async commitFile(path: string, content: string, phaseIndex: number, signal: AbortSignal): Promise<void> {
    const { hash, size } = await this.port.store.upsertFile(this.port.projectId, { path, content, phase: phaseIndex });
    if (signal.aborted || this.port.isDisposed()) return;
    await this.port.sandbox.writeFiles([{ path, content }]);
    this.port.writing.delete(path);
    await this.port.emit({ type: 'file_end', payload: { phaseIndex, path, hash, size } });
    await this.port.fileSaved(path, signal);
  }
}

export function continueMessage(role: string, continuation: number): string {
  return `The ${role} answer reached the token limit; asking the model to continue where it stopped (continuation ${continuation}).`;
}

export function retryMessage(role: string, info: { attempt: number; reason: string; delayMs: number }): string {
  return `Retrying the ${role} request (attempt ${info.attempt + 1}) after ${Math.round(info.delayMs)} ms: ${info.reason}.`;
}
