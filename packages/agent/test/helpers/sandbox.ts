import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumFromEnv, createSandboxProvider, type SandboxProvider } from '@lathe/sandbox';

/**
 * A real local sandbox provider for tests. The data directory is shared between runs so the
 * template's dependency store is installed once; projects get random ids and are destroyed.
 * With `renderCheck`, review loads the preview in the machine's Chromium (LATHE_CHROMIUM_PATH or
 * the usual places); without it the check is skipped, as on a server with no browser.
 */
export function testSandboxProvider(portRange: [number, number], options: { renderCheck?: boolean } = {}): SandboxProvider {
  return createSandboxProvider({
    kind: 'local',
    dataDir: join(tmpdir(), 'lathe-agent-test-sandboxes'),
    portRange,
    renderCheck: { executablePath: options.renderCheck ? chromiumFromEnv(process.env) : null },
  });
}

/** Dev-server ports per test file, so files running in parallel never race for the same port. */
export const PORTS = {
  integration: [43000, 43099],
  faults: [43100, 43199],
  offlineApps: [43200, 43299],
  pglite: [43300, 43399],
  realOutput: [43400, 43499],
  runtime: [43600, 43699],
} as const satisfies Record<string, [number, number]>;

export function randomProjectId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
