export interface Provider {
  id: string;
  name: string;
  baseUrl: string;
  /** Shown in masked keys so users recognise them. */
  keyPrefix: string;
}

/** Providers a user may store a key for; all speak the OpenAI chat API. */
export const PROVIDERS: readonly Provider[] = [
  { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', keyPrefix: 'sk-or-' },
  { id: 'openai', name: 'OpenAI', baseUrl: 'https://api.openai.com/v1', keyPrefix: 'sk-' },
];

export function providerForBaseUrl(baseUrl: string): Provider | undefined {
  return PROVIDERS.find((p) => baseUrl.startsWith(p.baseUrl));
}

/** Providers tried for a user's stored key: the one the server itself uses first. */
export function providerOrder(serverBaseUrl: string): readonly Provider[] {
  const server = providerForBaseUrl(serverBaseUrl);
  return server ? [server, ...PROVIDERS.filter((p) => p !== server)] : PROVIDERS;
}

/** The environment for the agent's config loader when a user's own key is used. */
export function userKeyEnv(env: Record<string, string | undefined>, provider: Provider, key: string): Record<string, string | undefined> {
  return {
    ...env,
    LATHE_LLM_API_KEY: key,
    LATHE_LLM_BASE_URL: provider.baseUrl,
    // Model names are provider-specific; OpenRouter's defaults do not exist on OpenAI.
    LATHE_MODEL: env.LATHE_MODEL ?? (provider.id === 'openai' ? 'gpt-4.1' : undefined),
  };
}
