import { LatheError } from '@lathe/protocol';

export type LlmRole = 'designer' | 'implementer' | 'fixer';

export interface RoleModel {
  baseUrl: string;
  apiKey: string;
  model: string;
}

export interface AgentConfig {
  /** True when no API key is configured: the built-in offline model answers instead. */
  offline: boolean;
  roles: Record<LlmRole, RoleModel>;
  /** Upper bound on phases per generation round. */
  phaseBudget: number;
  /** Upper bound on fixer rounds in the review step. */
  fixRounds: number;
  /** Token rate of the built-in offline model (0 = no delay). */
  offlineTokensPerSecond: number;
  /** A stream that sends nothing for this long is aborted and retried. */
  stallTimeoutMs: number;
  /** Retries after the first attempt for 429/5xx/connection failures. */
  maxRetries: number;
  /** First backoff delay; doubles per retry unless the server sends Retry-After. */
  retryBaseMs: number;
  /** `max_tokens` sent per role (some providers cap output low when none is sent). */
  maxTokens: Record<LlmRole, number>;
  /** Follow-up requests that continue an answer cut at the token limit. */
  maxContinuations: number;
  /** Tokens of project file contents one prompt may carry (the rest is named, not sent). */
  contextTokens: number;
}

export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The model name sent to the built-in offline model. */
export const OFFLINE_MODEL_NAME = 'lathe-offline';

const DEFAULT_MODELS: Record<LlmRole, string> = {
  designer: 'anthropic/claude-sonnet-4',
  implementer: 'anthropic/claude-sonnet-4',
  fixer: 'anthropic/claude-sonnet-4',
};

function intVar(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new LatheError('invalid_config', `${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return n;
}

function str(env: Record<string, string | undefined>, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = env[name]?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * Reads the agent's settings from environment variables. Pure: pass `process.env` or a test map.
 * Throws LatheError `invalid_config` for malformed numbers.
 */
export function loadAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const apiKey = str(env, 'LATHE_LLM_API_KEY', 'OPENROUTER_API_KEY', 'OPENAI_API_KEY');
  const offline = apiKey === undefined;
  // An OpenAI key on its own means OpenAI; any other key means OpenRouter unless a base URL is set.
  const onlyOpenAi = str(env, 'LATHE_LLM_API_KEY', 'OPENROUTER_API_KEY') === undefined && str(env, 'OPENAI_API_KEY') !== undefined;
  const baseUrl = str(env, 'LATHE_LLM_BASE_URL') ?? (onlyOpenAi ? OPENAI_BASE_URL : OPENROUTER_BASE_URL);
  const fallbackModel = str(env, 'LATHE_MODEL');
  const role = (r: LlmRole, name: string): RoleModel => ({
    baseUrl,
    apiKey: apiKey ?? 'offline',
    model: offline ? OFFLINE_MODEL_NAME : (str(env, name) ?? fallbackModel ?? DEFAULT_MODELS[r]),
  });
  return {
    offline,
    roles: {
      designer: role('designer', 'LATHE_MODEL_DESIGNER'),
      implementer: role('implementer', 'LATHE_MODEL_IMPLEMENTER'),
      fixer: role('fixer', 'LATHE_MODEL_FIXER'),
    },
    phaseBudget: intVar(env, 'LATHE_PHASE_BUDGET', 3, 1, 50),
    fixRounds: intVar(env, 'LATHE_FIX_ROUNDS', 2, 0, 10),
    offlineTokensPerSecond: intVar(env, 'LATHE_OFFLINE_TOKENS_PER_SECOND', 200, 0, 1_000_000),
    stallTimeoutMs: intVar(env, 'LATHE_LLM_STALL_TIMEOUT_MS', 60_000, 100, 3_600_000),
    maxRetries: intVar(env, 'LATHE_LLM_MAX_RETRIES', 4, 0, 20),
    retryBaseMs: intVar(env, 'LATHE_LLM_RETRY_BASE_MS', 1_000, 0, 60_000),
    maxTokens: {
      designer: intVar(env, 'LATHE_MAX_TOKENS_DESIGNER', 4_096, 256, 1_000_000),
      implementer: intVar(env, 'LATHE_MAX_TOKENS_IMPLEMENTER', 16_384, 256, 1_000_000),
      fixer: intVar(env, 'LATHE_MAX_TOKENS_FIXER', 16_384, 256, 1_000_000),
    },
    maxContinuations: intVar(env, 'LATHE_LLM_MAX_CONTINUATIONS', 3, 0, 20),
    contextTokens: intVar(env, 'LATHE_CONTEXT_TOKENS', 32_000, 2_000, 1_000_000),
  };
}

/** Points every role at a running offline model (the server calls this after starting it). */
export function withOfflineModel(config: AgentConfig, baseUrl: string): AgentConfig {
  const role: RoleModel = { baseUrl, apiKey: 'offline', model: OFFLINE_MODEL_NAME };
  return { ...config, offline: true, roles: { designer: role, implementer: role, fixer: role } };
}
