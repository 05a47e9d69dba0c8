import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLatheError } from '@lathe/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../src/index';

describe('a local sandbox without bubblewrap', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lathe-sbx-nojail-'));
  const path = process.env.PATH;

  afterAll(() => {
    process.env.PATH = path;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a terminal (shell_unavailable) rather than give a host shell', async () => {
    const provider = createSandboxProvider({ kind: 'local', dataDir, portRange: [42300, 42309] });
    mkdirSync(join(dataDir, 'projects', 'nojail-project'), { recursive: true });
    const sandbox = await provider.get('nojail-project');
    // bwrap is looked for on PATH when the provider first needs it: here there is none.
    process.env.PATH = join(dataDir, 'empty');
    const refused = await sandbox?.openShell({ cols: 80, rows: 24, onOutput: () => undefined }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isLatheError(refused) && refused.code).toBe('shell_unavailable');
    expect(isLatheError(refused) && refused.message).toMatch(/bubblewrap/);
    await provider.shutdown();
  });
});
