// Project file operations inside a Docker sandbox: `node /opt/lathe/fsops.mjs <op> <json>`.
// Paths arrive already normalised by the host (checkProjectPath); this side adds the checks
// only the container's filesystem can answer: no component may be a symlink, so a link planted
// by a generated command never redirects a read or a write. Errors: JSON on stderr, exit 3.
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/app';
const SKIP = new Set(['node_modules', '.git', '.vite', 'dist']);

class OpError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function kindOf(abs, rel) {
  let st;
  try {
    st = lstatSync(abs);
  } catch (e) {
    if (e.code === 'ENOENT') return 'missing';
    throw e;
  }
  if (st.isSymbolicLink()) throw new OpError('invalid_path', `${rel} is a symbolic link`);
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  throw new OpError('invalid_path', `${rel} is not a regular file`);
}

function walk(path) {
  const parts = path.split('/');
  let abs = ROOT;
  for (let i = 0; i < parts.length; i++) {
    abs = join(abs, parts[i]);
    const rel = parts.slice(0, i + 1).join('/');
    const kind = kindOf(abs, rel);
    if (i === parts.length - 1 || kind === 'missing') return i === parts.length - 1 ? kind : 'missing';
    if (kind !== 'dir') throw new OpError('invalid_path', `${rel} is not a directory`);
  }
  return 'missing';
}

function list() {
  const out = [];
  const visit = (dir, prefix) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) visit(join(dir, e.name), rel);
      } else if (e.isFile() && !e.name.endsWith('.lathe-tmp')) {
        out.push({ path: rel, size: lstatSync(join(dir, e.name)).size });
      }
    }
  };
  visit(ROOT, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const ops = {
  // Moves staged files (uploaded with putArchive) into the project, all or nothing on the checks.
  write({ stage, paths, maxFiles }) {
    try {
      let added = 0;
      for (const p of paths) {
        const kind = walk(p);
        if (kind === 'dir') throw new OpError('invalid_path', `${p} is a directory`);
        if (kind === 'missing') added++;
      }
      const count = added > 0 ? list().length + added : 0;
      if (count > maxFiles) throw new OpError('too_many_files', `the project would have ${count} files; the limit is ${maxFiles}`);
      for (const p of paths) {
        const parent = p.split('/').slice(0, -1).join('/');
        if (parent) {
          mkdirSync(join(ROOT, parent), { recursive: true });
          if (walk(parent) !== 'dir') throw new OpError('invalid_path', `${parent} changed`);
        }
        // Staged in /tmp, then copied next to the target and renamed over it: the same event sequence
        // as an editor's atomic save, which Vite's watcher follows reliably.
        const parts = p.split('/');
        const tmp = join(ROOT, ...parts.slice(0, -1), `.${parts.at(-1)}.${process.pid}.lathe-tmp`);
        copyFileSync(join(stage, p), tmp);
        renameSync(tmp, join(ROOT, p));
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
    return { ok: true };
  },
  read({ path, maxBytes }) {
    const kind = walk(path);
    if (kind === 'missing') throw new OpError('not_found', `${path} does not exist`);
    if (kind !== 'file') throw new OpError('invalid_path', `${path} is not a file`);
    const size = lstatSync(join(ROOT, path)).size;
    if (size > maxBytes) throw new OpError('file_too_large', `${path} is ${size} bytes; the limit is ${maxBytes}`);
    return readFileSync(join(ROOT, path));
  },
  delete({ path }) {
    const kind = walk(path);
    if (kind === 'missing') throw new OpError('not_found', `${path} does not exist`);
    if (kind !== 'file') throw new OpError('invalid_path', `${path} is not a file`);
    unlinkSync(join(ROOT, path));
    return { ok: true };
  },
  list() {
    return list();
  },
  cwd({ path }) {
    if (walk(path) !== 'dir') throw new OpError('invalid_path', `${path} is not a directory`);
    return { ok: true };
  },
};

const [op, arg] = process.argv.slice(2);
try {
  const fn = ops[op];
  if (!fn) throw new OpError('sandbox_error', `unknown operation ${op}`);
  const result = fn(JSON.parse(arg ?? '{}'));
  if (Buffer.isBuffer(result)) writeSync(1, result);
  else writeSync(1, JSON.stringify(result));
} catch (e) {
  const code = e instanceof OpError ? e.code : 'sandbox_error';
  process.stderr.write(JSON.stringify({ code, message: e.message }));
  process.exitCode = 3;
}
