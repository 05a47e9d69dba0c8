import {
  type AgentConfig,
  CodeGeneratorAgent,
  createDbAgentStore,
  createLlmClientFromConfig,
  loadAgentConfig,
  type PriceTable,
} from '@lathe/agent';
import type { Repositories } from '@lathe/db';
import type { SandboxProvider } from '@lathe/sandbox';
import type { AgentFactory, LiveAgent } from './agent-manager';
import type { Log } from './context';
import { open } from './crypto';
import { withGitCommits } from './git/agent-store';
import type { GitService } from './git/service';
import { type History, withVersionHistory } from './history';
import { allowedChoices, withModelChoices } from './models';
import { providerOrder, userKeyEnv } from './providers';
import { withUsageLedger } from './usage';

export interface AgentRuntimeOptions {
  repos: Repositories;
  sandboxes: SandboxProvider;
  /** The server's LLM settings (offline model already wired in when no key is configured). */
  agentConfig: AgentConfig;
  /** Prices calls whose provider reports no cost. */
  prices: PriceTable;
  encryptionKey: Buffer;
  /** Models the server's key may pay for (LATHE_ALLOWED_MODELS); null = any. */
  allowedModels: ReadonlySet<string> | null;
  /** The browser-facing preview URL of a project. */
  previewUrl: (previewToken: string) => string;
  env: Record<string, string | undefined>;
  /** Commits each phase snapshot to the project's git repository. */
  git?: GitService;
  /** Records a version after each phase (issue 15). */
  history: Pick<History, 'phaseSaved' | 'roundEnded'>;
  log: Log;
}

/**
 * The LLM settings for one user's generations: their own stored key wins over the server's
 * settings (and over the offline model). The server's provider is preferred when both exist.
 * Their chosen models then replace the defaults of the config that won.
 */
async function configForOwner(opts: AgentRuntimeOptions, ownerId: string): Promise<AgentConfig> {
  const choices = await opts.repos.settings.getModels(ownerId);
  for (const provider of providerOrder(opts.agentConfig.roles.implementer.baseUrl)) {
    const row = await opts.repos.apiKeys.getForProvider(ownerId, provider.id);
    if (row) return withModelChoices(loadAgentConfig(userKeyEnv(opts.env, provider, open(row, opts.encryptionKey))), choices);
  }
  return withModelChoices(opts.agentConfig, allowedChoices(choices, opts.allowedModels));
}

/** Builds the real CodeGeneratorAgent for a project, on its sandbox and the database store. */
export function createAgentFactory(opts: AgentRuntimeOptions): AgentFactory {
  const store = createDbAgentStore(opts.repos);
  return async ({ project, onEvent }): Promise<LiveAgent> => {
    const config = await configForOwner(opts, project.ownerId);
    const sandbox = await opts.sandboxes.open(project.id, { template: 'react-vite' });
    const agent = await CodeGeneratorAgent.load({
      projectId: project.id,
      store: withVersionHistory(
        ((ledgered) => (opts.git ? withGitCommits(ledgered, opts.git, project, opts.log) : ledgered))(
          withUsageLedger(store, opts.repos.usage, project.ownerId, opts.log),
        ),
        opts.history,
        opts.log,
      ),
      sandbox,
      llm: createLlmClientFromConfig(config),
      config: { ...config, prices: opts.prices },
      previewUrl: opts.previewUrl(project.previewToken),
    });
    const unsubscribe = agent.subscribe(onEvent);
    return {
      snapshot: () => agent.getState(),
      startRound: (kind, text) => (kind === 'generate' ? agent.generate(text) : agent.message(text)),
      cancel: () => agent.cancel(),
      resume: () => agent.resume(),
      isWriting: (path) => agent.isWriting(path),
      stop: async () => {
        unsubscribe();
        agent.dispose();
      },
    };
  };
}
