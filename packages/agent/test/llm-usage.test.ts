import { describe, expect, it } from 'vitest';
import type { LlmRole } from '../src/config';
import { createOpenAiLlmClient } from '../src/llm';
import { startScriptedModel } from '../src/offline/scripted';

const messages = [
  { role: 'system' as const, content: 'plain chat' },
  { role: 'user' as const, content: 'hello' },
];

async function usageOf(extra: { cached?: number; cost?: number }) {
  const model = await startScriptedModel({ script: [{ kind: 'reply', content: 'hello there, world' }], usage: () => extra });
  try {
    const role = { baseUrl: model.url, apiKey: 'k', model: 'vendor/model' };
    const roles: Record<LlmRole, typeof role> = { designer: role, implementer: role, fixer: role };
    const llm = createOpenAiLlmClient(roles, { maxRetries: 0, retryBaseMs: 10, stallTimeoutMs: 60_000 });
    return await llm.stream({ role: 'implementer', messages, signal: new AbortController().signal, onDelta: () => undefined });
  } finally {
    await model.close();
  }
}

describe('LLM client usage', () => {
  it('reads cached tokens (prompt_tokens_details) and the provider cost (OpenRouter usage.cost), and names the model', async () => {
    const r = await usageOf({ cached: 4, cost: 0.0042 });
    expect(r.model).toBe('vendor/model');
    expect(r.usage).toMatchObject({ cachedTokens: 4, costUsd: 0.0042 });
    expect(r.usage.promptTokens).toBeGreaterThan(0);
  });

  it('reports no cost (null) and no cached tokens when the provider sends neither', async () => {
    const r = await usageOf({});
    expect(r.usage).toMatchObject({ cachedTokens: 0, costUsd: null });
  });
});
