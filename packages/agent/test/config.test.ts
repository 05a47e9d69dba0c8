import { describe, expect, it } from 'vitest';
import { loadAgentConfig, OFFLINE_MODEL_NAME, OPENROUTER_BASE_URL, withOfflineModel } from '../src/config';

describe('loadAgentConfig', () => {
  it('is offline with defaults when no key is configured', () => {
    const c = loadAgentConfig({});
    expect(c.offline).toBe(true);
    expect(c.phaseBudget).toBe(3);
    expect(c.fixRounds).toBe(2);
    expect(c.offlineTokensPerSecond).toBe(200);
    expect(c.roles.designer.model).toBe(OFFLINE_MODEL_NAME);
  });

  it('uses OpenRouter by default and per-role models', () => {
    const c = loadAgentConfig({ OPENROUTER_API_KEY: 'sk-or-1', LATHE_MODEL_FIXER: 'x/fixer', LATHE_MODEL: 'x/all' });
    expect(c.offline).toBe(false);
    expect(c.roles.implementer).toEqual({ baseUrl: OPENROUTER_BASE_URL, apiKey: 'sk-or-1', model: 'x/all' });
    expect(c.roles.fixer.model).toBe('x/fixer');
  });

  it('an OpenAI key alone points at OpenAI; an explicit base URL wins', () => {
    expect(loadAgentConfig({ OPENAI_API_KEY: 'sk-1' }).roles.designer.baseUrl).toBe('https://api.openai.com/v1');
    const c = loadAgentConfig({
      LATHE_LLM_API_KEY: 'k',
      LATHE_LLM_BASE_URL: 'http://localhost:11434/v1',
      LATHE_PHASE_BUDGET: '5',
      LATHE_FIX_ROUNDS: '0',
    });
    expect(c.roles.designer.baseUrl).toBe('http://localhost:11434/v1');
    expect(c.phaseBudget).toBe(5);
    expect(c.fixRounds).toBe(0);
  });

  it('rejects malformed numbers with invalid_config', () => {
    expect(() => loadAgentConfig({ LATHE_PHASE_BUDGET: 'six' })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    expect(() => loadAgentConfig({ LATHE_FIX_ROUNDS: '-1' })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });

  it('withOfflineModel points every role at a running offline model', () => {
    const c = withOfflineModel(loadAgentConfig({}), 'http://127.0.0.1:9/v1');
    expect(Object.values(c.roles).map((r) => r.baseUrl)).toEqual([
      'http://127.0.0.1:9/v1',
      'http://127.0.0.1:9/v1',
      'http://127.0.0.1:9/v1',
    ]);
  });
});
