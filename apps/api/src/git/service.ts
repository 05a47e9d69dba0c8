import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { GitCredentialKind, GitRepositories, ProjectRow, Repositories } from '@lathe/db';
import { LatheError } from '@lathe/protocol';
import type { Log } from '../context';
import { open } from '../crypto';
import type { GitConfig } from './config';
import { type PushCredential, pushToRemote } from './push';
import { checkRemoteUrl } from './remote-url';
import { type GitAuthor, type GitFile, ProjectRepositories } from './repository';
import { runGit } from './run';

/** The default user name sent with an HTTPS token (GitHub and GitLab accept any with a token). */
export const DEFAULT_HTTPS_USERNAME = 'x-access-token';

export interface PushResult {
  commit: string;
  commits: number;
  remoteUrl: string;
  pushedAt: string;
}

interface PendingEdits {
  paths: Set<string>;
  timer: ReturnType<typeof setTimeout> | null;
}

export interface GitServiceOptions {
  config: GitConfig;
  repos: Repositories;
  git: GitRepositories;
  encryptionKey: Buffer;
  log: Log;
}

function editMessage(paths: string[]): string {
  const sorted = [...paths].sort();
  if (sorted.length === 1) return `Edit ${sorted[0]}`;
  const shown = sorted.slice(0, 3).join(', ');
  return sorted.length > 3 ? `Edit ${sorted.length} files: ${shown}, …` : `Edit ${sorted.length} files: ${shown}`;
}

/**
 * Each project's git history and pushes. One entry for commits, commitVersion(); on this branch
 * it is called after each phase snapshot (agent-runtime) and after a burst of user edits.
 */
export class GitService {
  readonly repositories: ProjectRepositories;
  readonly #pending = new Map<string, PendingEdits>();
  readonly #pushing = new Set<string>();
  #available: Promise<boolean> | null = null;

  constructor(readonly opts: GitServiceOptions) {
    this.repositories = new ProjectRepositories(opts.config.root);
  }

  /** Whether the server has git; without it (said once in the log) there is no history and no push. */
  available(): Promise<boolean> {
    this.#available ??= runGit(['--version']).then(
      (r) => r.code === 0,
      (e: unknown) => {
        this.opts.log(`git is not available (${(e as Error).message}): projects get no git history and cannot be pushed`);
        return false;
      },
    );
    return this.#available;
  }

  /** Commits the files as the project's tree when it changed; the new commit or null. */
  async commitVersion(projectId: string, files: GitFile[], message: string, author: GitAuthor): Promise<string | null> {
    if (!(await this.available())) return null;
    return this.repositories.commitVersion(projectId, files, message, author);
  }

  /** The project owner as a commit author. */
  async authorOf(project: Pick<ProjectRow, 'ownerId'>): Promise<GitAuthor> {
    const owner = await this.opts.repos.users.get(project.ownerId);
    return { name: owner?.name || 'Lathe user', email: owner?.email || 'user@localhost' };
  }

  /** Commits the project's stored files as they are now. */
  async commitStored(projectId: string, message: string): Promise<string | null> {
    const project = await this.opts.repos.projects.getAny(projectId);
    if (!project) return null;
    const files = await this.opts.repos.files.readMany(projectId);
    return this.commitVersion(projectId, files, message, await this.authorOf(project));
  }

  /** A user saved a file: commit when the edits pause for the burst time. */
  userEdited(projectId: string, path: string): void {
    const pending = this.#pending.get(projectId) ?? { paths: new Set<string>(), timer: null };
    pending.paths.add(path);
    if (pending.timer) clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      void this.flush(projectId).catch((e: unknown) => this.opts.log(`git commit of ${projectId} failed: ${(e as Error).message}`));
    }, this.opts.config.editBurstMs);
    this.#pending.set(projectId, pending);
  }

  /** Commits a pending burst of user edits now. */
  async flush(projectId: string): Promise<string | null> {
    const pending = this.#pending.get(projectId);
    if (!pending) return null;
    this.#pending.delete(projectId);
    if (pending.timer) clearTimeout(pending.timer);
    return this.commitStored(projectId, editMessage([...pending.paths]));
  }

  /** The server is stopping: commit every pending burst. */
  async close(): Promise<void> {
    for (const projectId of [...this.#pending.keys()]) {
      await this.flush(projectId).catch((e: unknown) => this.opts.log(`git commit of ${projectId} failed: ${(e as Error).message}`));
    }
  }

  /** The project was deleted. */
  async forget(projectId: string): Promise<void> {
    const pending = this.#pending.get(projectId);
    if (pending?.timer) clearTimeout(pending.timer);
    this.#pending.delete(projectId);
    await this.repositories.remove(projectId);
  }

  knownHostsFile(userId: string): string {
    return join(this.opts.config.root, 'known_hosts', createHash('sha256').update(userId).digest('hex'));
  }

  async #credential(userId: string, kind: GitCredentialKind): Promise<PushCredential> {
    const row = await this.opts.git.credentials.get(userId, kind);
    if (!row) {
      throw new LatheError(
        'git_credential_missing',
        kind === 'https'
          ? 'this remote is an https:// URL: add an HTTPS token in Settings → Git first'
          : 'this remote is an SSH URL: generate an SSH key in Settings → Git and add its public key to the git host first',
      );
    }
    const secret = open(row, this.opts.encryptionKey);
    return kind === 'https'
      ? { kind: 'https', username: row.username ?? DEFAULT_HTTPS_USERNAME, token: secret }
      : { kind: 'ssh', privateKey: secret, knownHostsFile: this.knownHostsFile(userId) };
  }

  /** Commits what is pending, then pushes the branch to the project's remote with the user's credential. */
  async push(project: ProjectRow, userId: string, force: boolean): Promise<PushResult> {
    if (!(await this.available()))
      throw new LatheError('git_unavailable', 'git is not installed on this server, so projects cannot be pushed');
    const saved = await this.opts.git.remotes.get(project.id);
    if (!saved) throw new LatheError('git_remote_missing', 'set a remote URL for this project first');
    const checked = checkRemoteUrl(saved.url);
    if (!checked.ok) throw new LatheError('git_invalid_remote', checked.message);
    if (this.#pushing.has(project.id)) throw new LatheError('git_push_busy', 'a push of this project is already running');
    this.#pushing.add(project.id);
    try {
      const credential = await this.#credential(userId, checked.remote.transport);
      await this.flush(project.id);
      // Anything stored but not yet committed (changes outside phases and edits) goes in too.
      await this.commitStored(project.id, 'Update files');
      const head = await this.repositories.head(project.id);
      if (!head) throw new LatheError('git_nothing_to_push', 'the project has no files to push yet');
      await pushToRemote({
        gitDir: this.repositories.gitDir(project.id),
        scratchDir: this.opts.config.root,
        remote: checked.remote,
        credential,
        force,
        caFile: this.opts.config.caFile,
        timeoutMs: this.opts.config.pushTimeoutMs,
      });
      await this.opts.git.remotes.recordPush(project.id, head);
      return {
        commit: head,
        commits: await this.repositories.count(project.id),
        remoteUrl: checked.remote.url,
        pushedAt: new Date().toISOString(),
      };
    } finally {
      this.#pushing.delete(project.id);
    }
  }
}
