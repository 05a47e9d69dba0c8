import type { ProjectRow } from '@lathe/db';
import { type FileEncoding, type FileEntry, type FilesChanged, LatheError, LIMITS } from '@lathe/protocol';
import { checkProjectPath } from '@lathe/sandbox';
import type { AppContext } from './context';
import { checkStorageQuota } from './quotas';

/**
 * File operations from the IDE's tree (issue 15): create a file or a folder, upload, move or
 * rename, delete. Each one is stored, written to the running sandbox (the preview follows by
 * HMR), told to the project's other tabs as a `files_changed` event, committed to the project's
 * git repository and recorded in its history like an editor save. The tree is made of files, so
 * a new (empty) folder holds a `.gitkeep`, as git itself needs.
 */

export const FOLDER_KEEP = '.gitkeep';

/** The sandbox package's path rule, as a 422 at the boundary. */
export function safePath(path: string): string {
  const checked = checkProjectPath(path);
  if (!checked.ok) throw new LatheError('invalid_path', checked.message);
  return checked.path;
}

/**
 * How uploaded bytes are stored: text when they are UTF-8 without NUL bytes (so the editor and
 * the agent can read them), else base64.
 */
export function encodingFor(bytes: Uint8Array): FileEncoding {
  if (bytes.includes(0)) return 'base64';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf8';
  } catch {
    return 'base64';
  }
}

/** Structural changes wait while the agent works on the project or a restore is written. */
function requireIdle(ctx: AppContext, projectId: string): void {
  if (ctx.agents.isBusy(projectId) || ctx.history.isRestoring(projectId)) {
    throw new LatheError('busy', 'the agent is working on this project: wait for it to finish (or stop it), then try again');
  }
}

/** The project's stored paths. */
async function storedPaths(ctx: AppContext, projectId: string): Promise<Set<string>> {
  return new Set((await ctx.repos.files.list(projectId)).map((f) => f.path));
}

/** 409 when a folder on the way to `path` is a file (`except`: a path that is about to move away). */
function requireNoFileOnTheWay(paths: ReadonlySet<string>, path: string, except?: string): void {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (paths.has(parent) && parent !== except) throw new LatheError('path_exists', `${parent} is a file, so it cannot hold ${path}`);
  }
}

/** A file may not sit where a file or a folder is, nor under a path that is a file. */
function requireFree(paths: ReadonlySet<string>, path: string): void {
  if (paths.has(path)) throw new LatheError('path_exists', `${path} already exists`);
  for (const p of paths) if (p.startsWith(`${path}/`)) throw new LatheError('path_exists', `${path} is a folder`);
  requireNoFileOnTheWay(paths, path);
}

/** After a change: tell the other tabs, commit it, record it as (part of) an edit version. */
async function announce(ctx: AppContext, projectId: string, changes: FilesChanged, message: string): Promise<FilesChanged> {
  const event = await ctx.repos.events.append(projectId, { type: 'files_changed', payload: changes });
  ctx.publish(event);
  void (async () => {
    await ctx.git.flush(projectId);
    await ctx.git.commitStored(projectId, message);
  })().catch((e: unknown) => ctx.log(`git commit of ${projectId} (${message}) failed: ${(e as Error).message}`));
  // The change stands even if its version cannot be recorded; the next one will hold it.
  await ctx.history.userEdited(projectId).catch((e: unknown) => {
    ctx.log(`recording "${message}" in ${projectId} as a version failed: ${(e as Error).message}`);
  });
  return changes;
}

async function writeToSandbox(ctx: AppContext, projectId: string, files: { path: string; content: string; encoding: FileEncoding }[]) {
  const sandbox = await ctx.sandboxes.get(projectId);
  if (sandbox && files.length > 0) await sandbox.writeFiles(files);
}

async function deleteFromSandbox(ctx: AppContext, projectId: string, paths: string[]) {
  const sandbox = await ctx.sandboxes.get(projectId);
  if (!sandbox) return;
  for (const path of paths) await sandbox.deleteFile(path).catch(() => undefined);
}

/** A new text file (empty unless `content` is given), or a new folder. 409 `path_exists` when taken. */
export async function createEntry(
  ctx: AppContext,
  userId: string,
  project: ProjectRow,
  input: { path: string; kind: 'file' | 'folder'; content?: string },
): Promise<FilesChanged> {
  const path = safePath(input.path);
  requireIdle(ctx, project.id);
  requireFree(await storedPaths(ctx, project.id), path);
  const content = input.kind === 'folder' ? '' : (input.content ?? '');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > LIMITS.fileBytes) throw new LatheError('file_too_large', `a file may hold at most ${LIMITS.fileBytes} bytes`);
  await checkStorageQuota(ctx, userId, bytes);
  const stored = input.kind === 'folder' ? `${path}/${FOLDER_KEEP}` : path;
  safePath(stored);
  await ctx.repos.files.upsert(project.id, { path: stored, content, phase: null });
  await writeToSandbox(ctx, project.id, [{ path: stored, content, encoding: 'utf8' }]);
  return announce(
    ctx,
    project.id,
    { written: [stored], deleted: [], moved: [] },
    `${input.kind === 'folder' ? 'Create folder' : 'Create'} ${path}`,
  );
}

/**
 * An uploaded file: text when its bytes are UTF-8, else a binary kept in base64 and written to
 * the sandbox as bytes. Limited to `config.uploadMaxBytes` (413); an existing file is replaced
 * only with `overwrite` (else 409 `path_exists`).
 */
export async function uploadFile(
  ctx: AppContext,
  userId: string,
  project: ProjectRow,
  input: { path: string; bytes: Uint8Array; overwrite: boolean },
): Promise<{ file: FileEntry; changes: FilesChanged }> {
  const path = safePath(input.path);
  const limit = ctx.config.uploadMaxBytes;
  if (input.bytes.length > limit) {
    throw new LatheError(
      'file_too_large',
      `an upload may hold at most ${limit} bytes (LATHE_UPLOAD_MAX_BYTES); this one has ${input.bytes.length}`,
    );
  }
  requireIdle(ctx, project.id);
  const listed = await ctx.repos.files.list(project.id);
  const existing = listed.find((f) => f.path === path);
  if (!existing || !input.overwrite) requireFree(new Set(listed.map((f) => f.path)), path);
  await checkStorageQuota(ctx, userId, input.bytes.length - (existing?.size ?? 0));
  const encoding = encodingFor(input.bytes);
  const content = Buffer.from(input.bytes).toString(encoding);
  const row = await ctx.repos.files.upsert(project.id, { path, content, encoding, phase: null });
  await writeToSandbox(ctx, project.id, [{ path, content, encoding }]);
  const changes = await announce(ctx, project.id, { written: [path], deleted: [], moved: [] }, `Upload ${path}`);
  const file: FileEntry = {
    path: row.path,
    size: row.size,
    hash: row.hash,
    encoding: row.encoding,
    phase: row.phase,
    updatedAt: row.updatedAt,
  };
  return { file, changes };
}

/** Renames or moves a file, or a folder with everything in it. 404 when nothing is at `from`; 409 when `to` is taken. */
export async function moveEntry(ctx: AppContext, project: ProjectRow, input: { from: string; to: string }): Promise<FilesChanged> {
  const from = safePath(input.from);
  const to = safePath(input.to);
  if (from === to) throw new LatheError('invalid_input', 'the new path is the same as the old one');
  requireIdle(ctx, project.id);
  // The repository checks the target paths themselves.
  requireNoFileOnTheWay(await storedPaths(ctx, project.id), to, from);
  const moved = await ctx.repos.files.move(project.id, from, to);
  const written = await ctx.repos.files.readMany(
    project.id,
    moved.map((m) => m.to),
  );
  // Written first: the old paths' importers may point at the new ones already when they go.
  await writeToSandbox(ctx, project.id, written);
  await deleteFromSandbox(
    ctx,
    project.id,
    moved.map((m) => m.from),
  );
  return announce(ctx, project.id, { written: [], deleted: [], moved }, `Rename ${from} to ${to}`);
}

/** Deletes a file, or a folder with everything in it. 404 when nothing is there. */
export async function deleteEntry(ctx: AppContext, project: ProjectRow, input: { path: string }): Promise<FilesChanged> {
  const path = safePath(input.path);
  requireIdle(ctx, project.id);
  const deleted = await ctx.repos.files.deleteTree(project.id, path);
  if (deleted.length === 0) throw new LatheError('not_found', `no file or folder at ${path}`);
  await deleteFromSandbox(ctx, project.id, deleted);
  return announce(ctx, project.id, { written: [], deleted, moved: [] }, `Delete ${path}`);
}
