import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { FileInfo } from '../contract';
import { NON_PROJECT_DIRS } from '../template';

/**
 * Project-directory I/O that never follows a symlink: every component of a path is lstat-ed, so
 * a link planted by a generated command cannot redirect a write or a read outside the project.
 */

type Kind = 'missing' | 'file' | 'dir';

async function kindOf(abs: string, rel: string): Promise<Kind> {
  try {
    const st = await lstat(abs);
    if (st.isSymbolicLink()) throw new LatheError('invalid_path', `${rel} is a symbolic link`);
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    throw new LatheError('invalid_path', `${rel} is not a regular file`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** Checks every parent of `path` is a real directory (or missing) and returns the kind of the path itself. */
async function walk(root: string, path: string): Promise<Kind> {
  const parts = path.split('/');
  let abs = root;
  for (let i = 0; i < parts.length; i++) {
    abs = join(abs, parts[i] ?? '');
    const rel = parts.slice(0, i + 1).join('/');
    const kind = await kindOf(abs, rel);
    if (i === parts.length - 1) return kind;
    if (kind === 'missing') return 'missing';
    if (kind !== 'dir') throw new LatheError('invalid_path', `${rel} is not a directory`);
  }
  return 'missing';
}

export async function writeProjectFiles(root: string, files: { path: string; content: Buffer }[], maxFiles: number): Promise<void> {
  // Check everything first so a refused path means nothing was written.
  let added = 0;
  for (const f of files) {
    const kind = await walk(root, f.path);
    if (kind === 'dir') throw new LatheError('invalid_path', `${f.path} is a directory`);
    if (kind === 'missing') added++;
  }
  if (added > 0) {
    const count = (await listProjectFiles(root)).length + added;
    if (count > maxFiles) throw new LatheError('too_many_files', `the project would have ${count} files; the limit is ${maxFiles}`);
  }
  for (const f of files) {
    const parts = f.path.split('/');
    const name = parts.pop() ?? '';
    const dir = join(root, ...parts);
    await mkdir(dir, { recursive: true });
    // Re-check after mkdir: a command may have raced a link into place since the first pass.
    if (parts.length > 0 && (await walk(root, parts.join('/'))) !== 'dir')
      throw new LatheError('invalid_path', `${parts.join('/')} changed`);
    const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.lathe-tmp`);
    await writeFile(tmp, f.content, { flag: 'wx' });
    try {
      await rename(tmp, join(dir, name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

export async function readProjectFile(root: string, path: string, maxBytes: number): Promise<Buffer> {
  const kind = await walk(root, path);
  if (kind === 'missing') throw new LatheError('not_found', `${path} does not exist`);
  if (kind !== 'file') throw new LatheError('invalid_path', `${path} is not a file`);
  const st = await lstat(join(root, path));
  if (st.size > maxBytes) throw new LatheError('file_too_large', `${path} is ${st.size} bytes; the limit is ${maxBytes}`);
  return readFile(join(root, path));
}

export async function deleteProjectFile(root: string, path: string): Promise<void> {
  const kind = await walk(root, path);
  if (kind === 'missing') throw new LatheError('not_found', `${path} does not exist`);
  if (kind !== 'file') throw new LatheError('invalid_path', `${path} is not a file`);
  await unlink(join(root, path));
}

/** Regular files under the root, skipping dependency/cache/build folders and symlinks. */
export async function listProjectFiles(root: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  async function visit(dir: string, prefix: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!NON_PROJECT_DIRS.has(e.name)) await visit(join(dir, e.name), rel);
      } else if (e.isFile() && !e.name.endsWith('.lathe-tmp')) {
        out.push({ path: rel, size: (await lstat(join(dir, e.name))).size });
      }
    }
  }
  await visit(root, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Checks a working directory: an existing real directory inside the project. */
export async function checkProjectDir(root: string, path: string): Promise<string> {
  if (path === '') return root;
  if ((await walk(root, path)) !== 'dir') throw new LatheError('invalid_path', `${path} is not a directory`);
  return join(root, path);
}
