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
