import { type AgentConfig, loadAgentConfig } from '@lathe/agent';
import type { ApiKeysRepository } from '@lathe/db';
import type { Models } from '@lathe/protocol';
import { PROVIDERS, providerForBaseUrl, providerOrder, userKeyEnv } from './providers';

/** Describes the models a user's generations use: their own stored key wins over the server's settings. */
export function createModelsResolver(
  repos: { apiKeys: Pick<ApiKeysRepository, 'list'> },
  env: Record<string, string | undefined>,
  server: AgentConfig,
): (userId: string) => Promise<Models> {
  const serverBaseUrl = server.roles.implementer.baseUrl;
  const serverProvider = server.offline ? undefined : providerForBaseUrl(serverBaseUrl);
  return async (userId) => {
    const keys = new Set((await repos.apiKeys.list(userId)).map((k) => k.provider));
    const own = providerOrder(serverBaseUrl).find((p) => keys.has(p.id));
    // Model names only: the key itself is not needed (nor decrypted) to describe them.
    const effective = own ? loadAgentConfig(userKeyEnv(env, own, 'stored-key')) : server;
    return {
      offline: effective.offline,
      providers: PROVIDERS.map((p) => ({ id: p.id, name: p.name, baseUrl: p.baseUrl, configured: p === serverProvider || keys.has(p.id) })),
      roles: {
        designer: effective.roles.designer.model,
        implementer: effective.roles.implementer.model,
        fixer: effective.roles.fixer.model,
      },
    };
  };
}
