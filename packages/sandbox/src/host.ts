import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { LatheError } from '@lathe/protocol';
import type { NpmSettings } from './env';
import { runToEnd } from './local/process';

/** Node for child processes: this process's binary on Node; under Bun, the first `node` on PATH. */
export function findNode(): string {
  if (!('bun' in process.versions)) return process.execPath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  throw new LatheError('sandbox_error', 'the local sandbox needs Node.js (>= 22) on PATH');
}

/** npm's CLI script, run with our Node so the child never picks up an older system Node. */
export function findNpmCli(): string {
  const dirs = [dirname(findNode()), ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    try {
      const real = realpathSync(join(dir, 'npm'));
      if (real.endsWith('npm-cli.js')) return real;
      const sibling = join(dirname(real), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
      accessSync(sibling);
      return realpathSync(sibling);
    } catch {
      // Not here.
    }
  }
  throw new LatheError('sandbox_error', 'the local sandbox needs npm on PATH');
}

/** The host's registry and CA file (from npm's own config, which may live in ~/.npmrc) for sandboxed installs. */
export async function readNpmSettings(node: string, npmCli: string): Promise<NpmSettings> {
  const get = async (key: string): Promise<string | null> => {
    try {
      const out = (
        await runToEnd(
          [node, npmCli, 'config', 'get', key],
          process.cwd(),
          { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' },
          30_000,
        )
      ).trim();
      const last =
        out
          .split('\n')
          .filter((l) => !l.startsWith('npm warn'))
          .pop() ?? '';
      return last && last !== 'null' && last !== 'undefined' ? last : null;
    } catch {
      return null;
    }
  };
  const [registry, cafile] = await Promise.all([get('registry'), get('cafile')]);
  return { registry, cafile };
}
