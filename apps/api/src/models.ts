import { type AgentConfig, loadAgentConfig } from '@lathe/agent';
import type { ApiKeysRepository, ModelChoices, SettingsRepository } from '@lathe/db';
import type { Models } from '@lathe/protocol';
import { PROVIDERS, providerForBaseUrl, providerOrder, userKeyEnv } from './providers';

/**
 * The config with the user's per-role model choices applied. The offline model ignores model
 * names and answers every role, so an offline config is returned unchanged.
 */
export function withModelChoices(config: AgentConfig, choices: ModelChoices): AgentConfig {
  if (config.offline) return config;
  const role = (r: keyof ModelChoices) => ({ ...config.roles[r], model: choices[r] ?? config.roles[r].model });
  return { ...config, roles: { designer: role('designer'), implementer: role('implementer'), fixer: role('fixer') } };
}

/**
 * The choices the server's key may pay for: a model off the operator's allow-list (stored before
 * the list changed, say) falls back to the server's default for that role.
 */
export function allowedChoices(choices: ModelChoices, allowed: ReadonlySet<string> | null): ModelChoices {
  if (!allowed) return choices;
  const out: ModelChoices = {};
  for (const role of ['designer', 'implementer', 'fixer'] as const) {
    const name = choices[role];
    if (name !== undefined && allowed.has(name)) out[role] = name;
  }
  return out;
}

/**
 * Describes the models a user's generations use: their own stored key wins over the server's
 * settings, and their chosen models over the defaults. Offline, `roles` still shows the choices
 * (so they can be edited before a key is stored) while `offline` says the built-in model answers.
 */
export function createModelsResolver(
  repos: { apiKeys: Pick<ApiKeysRepository, 'list'>; settings: Pick<SettingsRepository, 'getModels'> },
  env: Record<string, string | undefined>,
  server: AgentConfig,
  allowed: ReadonlySet<string> | null,
): (userId: string) => Promise<Models> {
  const serverBaseUrl = server.roles.implementer.baseUrl;
  const serverProvider = server.offline ? undefined : providerForBaseUrl(serverBaseUrl);
  return async (userId) => {
    const [keyRows, stored] = await Promise.all([repos.apiKeys.list(userId), repos.settings.getModels(userId)]);
    const keys = new Set(keyRows.map((k) => k.provider));
    const own = providerOrder(serverBaseUrl).find((p) => keys.has(p.id));
    const choices = own ? stored : allowedChoices(stored, allowed);
    // Model names only: the key itself is not needed (nor decrypted) to describe them.
    const effective = own ? loadAgentConfig(userKeyEnv(env, own, 'stored-key')) : server;
    const defaults = {
      designer: effective.roles.designer.model,
      implementer: effective.roles.implementer.model,
      fixer: effective.roles.fixer.model,
    };
    return {
      offline: effective.offline,
      providers: PROVIDERS.map((p) => ({ id: p.id, name: p.name, baseUrl: p.baseUrl, configured: p === serverProvider || keys.has(p.id) })),
      roles: {
        designer: choices.designer ?? defaults.designer,
        implementer: choices.implementer ?? defaults.implementer,
        fixer: choices.fixer ?? defaults.fixer,
      },
      defaults,
      allowedModels: own || !allowed ? null : [...allowed],
    };
  };
}
