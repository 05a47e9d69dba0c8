import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxProvider, type SandboxProvider } from '@lathe/sandbox';

/**
 * A real local sandbox provider for tests. The data directory is shared between runs so the
 * template's dependency store is installed once; projects get random ids and are destroyed.
 */
export function testSandboxProvider(): SandboxProvider {
  return createSandboxProvider({ kind: 'local', dataDir: join(tmpdir(), 'lathe-agent-test-sandboxes'), portRange: [43000, 43499] });
}

export function randomProjectId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
