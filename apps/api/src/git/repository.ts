import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import { git, runGit } from './run';

/** The branch every project commits to and pushes. */
export const BRANCH = 'main';
const REF = `refs/heads/${BRANCH}`;
const ZERO = '0000000000000000000000000000000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface GitFile {
  path: string;
  content: string | Uint8Array;
  /** How a string `content` holds the bytes (default utf8). */
  encoding?: 'utf8' | 'base64';
}

export interface GitAuthor {
  name: string;
  email: string;
}

export interface CommitInfo {
  sha: string;
  message: string;
  authorName: string;
  authorEmail: string;
  date: string;
}

/** The committer of every commit: the server, on the author's behalf. */
const COMMITTER: GitAuthor = { name: 'Lathe', email: 'lathe@localhost' };

function blobSha(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A name or e-mail as git accepts it in an ident: no angle brackets, newlines or NULs. */
function identPart(value: string, fallback: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = value.replace(/[<>\u0000-\u001f\u007f]/g, '').trim();
  return clean || fallback;
}

/**
 * One bare repository per project under the server's git directory, which no sandbox can see
 * (a sandbox writing `.git/hooks` or `.git/config` would otherwise get code run by our own git
 * calls). Commits are built from the stored files with plumbing, never from a work tree.
 */
export class ProjectRepositories {
  /** Per project: commits are made one at a time (ref updates also check the old value). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  gitDir(projectId: string): string {
    if (!UUID.test(projectId)) throw new LatheError('invalid_input', 'not a project id');
    return join(this.root, `${projectId.toLowerCase()}.git`);
  }

  async exists(projectId: string): Promise<boolean> {
    return stat(join(this.gitDir(projectId), 'HEAD')).then(
      () => true,
      () => false,
    );
  }

  /** Creates the bare repository when missing. */
  async ensure(projectId: string): Promise<string> {
    const dir = this.gitDir(projectId);
    if (await this.exists(projectId)) return dir;
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await git(['init', '--quiet', '--bare', `--initial-branch=${BRANCH}`, '--template=', dir]);
    return dir;
  }

  /** Removes a project's repository (the project was deleted). */
  async remove(projectId: string): Promise<void> {
    await rm(this.gitDir(projectId), { recursive: true, force: true });
  }

  /** The branch's commit, or null before the first one. */
  async head(projectId: string): Promise<string | null> {
    if (!(await this.exists(projectId))) return null;
    const result = await runGit(['rev-parse', '--verify', '--quiet', `${REF}^{commit}`], { gitDir: this.gitDir(projectId) });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
  }

  /**
   * Commits `files` as the project's whole tree when it differs from the branch's last commit.
   * Returns the new commit, or null when nothing changed.
   */
  commitVersion(projectId: string, files: GitFile[], message: string, author: GitAuthor): Promise<string | null> {
    const previous = this.#queues.get(projectId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.#commit(projectId, files, message, author));
    this.#queues.set(projectId, next);
    void next.finally(() => {
      if (this.#queues.get(projectId) === next) this.#queues.delete(projectId);
    });
    return next;
  }

  async #commit(projectId: string, files: GitFile[], message: string, author: GitAuthor): Promise<string | null> {
    // A project's history starts with its first file, not with an empty tree.
    if (files.length === 0 && !(await this.head(projectId))) return null;
    const gitDir = await this.ensure(projectId);
    const blobs = files.map((f) => {
      const bytes = typeof f.content === 'string' ? Buffer.from(f.content, f.encoding ?? 'utf8') : Buffer.from(f.content);
      return { path: f.path, bytes, sha: blobSha(bytes) };
    });
    await this.#writeMissingBlobs(gitDir, blobs);
    const scratch = await mkdtemp(join(this.root, '.tmp-'));
    try {
      const env = { GIT_INDEX_FILE: join(scratch, 'index') };
      const indexInfo = blobs.map((b) => `100644 ${b.sha}\t${b.path}\0`).join('');
      await git(['update-index', '-z', '--index-info'], { gitDir, env, input: indexInfo });
      const tree = (await git(['write-tree'], { gitDir, env })).trim();
      const parent = await this.head(projectId);
      if (parent) {
        const parentTree = (await git(['rev-parse', `${parent}^{tree}`], { gitDir })).trim();
        if (parentTree === tree) return null;
      }
      const when = `${Math.floor(Date.now() / 1000)} +0000`;
      const commitEnv = {
        GIT_AUTHOR_NAME: identPart(author.name, 'Lathe user'),
        GIT_AUTHOR_EMAIL: identPart(author.email, 'user@localhost'),
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_NAME: COMMITTER.name,
        GIT_COMMITTER_EMAIL: COMMITTER.email,
        GIT_COMMITTER_DATE: when,
      };
      const body = message.trim() || 'Update files';
      const commit = (
        await git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], { gitDir, env: commitEnv, input: `${body}\n` })
      ).trim();
      await git(['update-ref', '-m', 'lathe', REF, commit, parent ?? ZERO], { gitDir });
      return commit;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Writes the blobs the repository lacks, in one git process, from a private scratch folder. */
  async #writeMissingBlobs(gitDir: string, blobs: { sha: string; bytes: Buffer }[]): Promise<void> {
    const unique = [...new Map(blobs.map((b) => [b.sha, b])).values()];
    if (unique.length === 0) return;
    const check = await git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
      gitDir,
      input: `${unique.map((b) => b.sha).join('\n')}\n`,
    });
    const present = new Set(
      check
        .split('\n')
        .filter((line) => line.endsWith(' blob'))
        .map((line) => line.split(' ')[0]),
    );
    const missing = unique.filter((b) => !present.has(b.sha));
    if (missing.length === 0) return;
    const scratch = await mkdtemp(join(this.root, '.tmp-'));
    try {
      const paths: string[] = [];
      for (const [i, blob] of missing.entries()) {
        const path = join(scratch, String(i));
        await writeFile(path, blob.bytes, { mode: 0o600 });
        paths.push(path);
      }
      const written = (await git(['hash-object', '-w', '--no-filters', '--stdin-paths'], { gitDir, input: `${paths.join('\n')}\n` }))
        .trim()
        .split('\n');
      if (written.some((sha, i) => sha !== missing[i]?.sha)) throw new LatheError('git_failed', 'git stored a blob under another hash');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The branch's commits, newest first. */
  async log(projectId: string, limit = 200): Promise<CommitInfo[]> {
    if (!(await this.head(projectId))) return [];
    const out = await git(['log', `--max-count=${limit}`, '--format=%H%x00%an%x00%ae%x00%aI%x00%B%x1e', REF], {
      gitDir: this.gitDir(projectId),
    });
    return out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.length > 0)
      .map((record) => {
        const [sha = '', authorName = '', authorEmail = '', date = '', message = ''] = record.split('\0');
        return { sha, authorName, authorEmail, date, message: message.trim() };
      });
  }

  async count(projectId: string): Promise<number> {
    if (!(await this.head(projectId))) return 0;
    return Number((await git(['rev-list', '--count', REF], { gitDir: this.gitDir(projectId) })).trim());
  }
}
