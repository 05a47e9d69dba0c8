import type { DbKind, Repositories } from '@lathe/db';
import type { AgentEvent } from '@lathe/protocol';
import type { Sandbox, SandboxProvider } from '@lathe/sandbox';
import { createTestDatabase, createTestUser, type TestDatabase } from '../../../../testing/db';
import { createOpenAiLlmClient, type RetryPolicy } from '../../src/llm';
import { DEFAULT_PRICES } from '../../src/pricing';
import { CodeGeneratorAgent } from '../../src/runner';
import { createDbAgentStore } from '../../src/store';
import { randomProjectId, testSandboxProvider } from './sandbox';

export interface Harness {
  repos: Repositories;
  provider: SandboxProvider;
  ownerId: string;
  close(): Promise<void>;
}

/** Quick backoff; a generous stall timeout so a loaded machine never triggers a retry a test did not script. */
export const FAST_RETRIES: RetryPolicy = { maxRetries: 3, retryBaseMs: 20, stallTimeoutMs: 60_000 };

/** A real database (PostgreSQL unless asked for PGlite) and a real local sandbox provider for one test file. */
export async function startHarness(
  portRange: [number, number],
  kind: DbKind = 'postgres',
  options: { renderCheck?: boolean } = {},
): Promise<Harness> {
  const db: TestDatabase = await createTestDatabase(kind);
  const ownerId = await createTestUser(db.db);
  const provider = testSandboxProvider(portRange, options);
  // The first sandbox installs the template's dependency store: do it under the hook timeout.
  const warm = randomProjectId('warm');
  await provider.create(warm);
  await provider.destroy(warm);
  return {
    repos: db.repos,
    provider,
    ownerId,
    close: async () => {
      await provider.shutdown();
      await db.close();
    },
  };
}

export interface TestProject {
  projectId: string;
  sandbox: Sandbox;
  agent: CodeGeneratorAgent;
  events: AgentEvent[];
  /** A new agent for the same project (as after a restart), optionally on a fresh sandbox. */
  reload(options?: { llmUrl?: string; freshSandbox?: boolean }): Promise<TestProject>;
  destroy(): Promise<void>;
}

export async function createProject(
  h: Harness,
  llmUrl: string,
  options: { policy?: RetryPolicy; fixRounds?: number; phaseBudget?: number; projectId?: string } = {},
): Promise<TestProject> {
  const projectId =
    options.projectId ??
    (await h.repos.projects.create({ ownerId: h.ownerId, name: 'Test', initialPrompt: 'x', template: 'react-vite' })).id;
  const sandbox = await h.provider.open(projectId);
  const role = { baseUrl: llmUrl, apiKey: 'test-key', model: 'lathe-offline' };
  const llm = createOpenAiLlmClient({ designer: role, implementer: role, fixer: role }, options.policy ?? FAST_RETRIES);
  const agent = await CodeGeneratorAgent.load({
    projectId,
    store: createDbAgentStore(h.repos),
    sandbox,
    llm,
    config: { phaseBudget: options.phaseBudget ?? 6, fixRounds: options.fixRounds ?? 2, offline: true, prices: DEFAULT_PRICES },
  });
  const events: AgentEvent[] = [];
  agent.subscribe((e) => events.push(e));
  const project: TestProject = {
    projectId,
    sandbox,
    agent,
    events,
    reload: async (o = {}) => {
      agent.dispose();
      if (o.freshSandbox) await h.provider.destroy(projectId);
      return createProject(h, o.llmUrl ?? llmUrl, { ...options, projectId });
    },
    destroy: async () => {
      agent.dispose();
      await h.provider.destroy(projectId);
    },
  };
  return project;
}

export async function storedFiles(h: Harness, projectId: string): Promise<Map<string, string>> {
  const rows = await h.repos.files.readMany(projectId);
  return new Map(rows.map((r) => [r.path, r.content]));
}

/** Resolves once `predicate` holds for the events seen so far (checked as events arrive). */
export function waitForEvent(project: TestProject, predicate: (events: AgentEvent[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate(project.events)) return resolve();
    const off = project.agent.subscribe(() => {
      if (predicate(project.events)) {
        off();
        resolve();
      }
    });
  });
}
