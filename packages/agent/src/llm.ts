import { LatheError } from '@lathe/protocol';
import OpenAI from 'openai';
import type { AgentConfig, LlmRole, RoleModel } from './config';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamRequest {
  role: LlmRole;
  messages: ChatMessage[];
  /** Aborting it cancels the HTTP request at once; the call then rejects with code `cancelled`. */
  signal: AbortSignal;
  /** Each content delta as it arrives. */
  onDelta(text: string): void;
  /**
   * Called before a retry replays the request from the start: everything delivered through
   * `onDelta` since the last restart is void.
   */
  onRestart?(info: { attempt: number; reason: string; delayMs: number }): void;
}

/** One call's tokens; costUsd is the provider's own figure (OpenRouter's `usage.cost`), null when it gave none. */
export interface CallUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number | null;
}

export interface StreamResult {
  text: string;
  /** The model the request named. */
  model: string;
  usage: CallUsage;
}

/** The agent's view of a language model: one streaming chat call per request. */
export interface LlmClient {
  stream(request: StreamRequest): Promise<StreamResult>;
}

export interface RetryPolicy {
  maxRetries: number;
  retryBaseMs: number;
  stallTimeoutMs: number;
  /** Longest wait honoured from a Retry-After header. */
  maxRetryAfterMs?: number;
}

class Retryable extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterMs: number | null,
  ) {
    super(reason);
  }
}

function retryAfterMs(headers: Headers | undefined): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const after = headers?.get('retry-after');
  if (!after) return null;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** Sorts a failure into "try again" (429, 5xx, resets, stalls, garbled streams) or a final LatheError. */
function classify(e: unknown, stalled: boolean): Retryable | LatheError {
  if (stalled) return new Retryable('the model stopped sending tokens', null);
  if (e instanceof Retryable) return e;
  if (e instanceof OpenAI.APIConnectionError) return new Retryable(`connection failed: ${e.message}`, null);
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    if (e.status === 429 || e.status === 408 || e.status === 409 || e.status >= 500) {
      return new Retryable(`the model answered HTTP ${e.status}`, retryAfterMs(e.headers));
    }
    if (e.status === 401 || e.status === 403)
      return new LatheError('llm_auth', `The model provider refused the API key (HTTP ${e.status}).`);
    return new LatheError('llm_error', `The model provider rejected the request: ${e.message}`);
  }
  // Mid-stream resets surface as plain errors (terminated, ECONNRESET, bad SSE JSON).
  const message = e instanceof Error ? e.message : String(e);
  return new Retryable(`the stream failed: ${message}`, null);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new LatheError('cancelled', 'Cancelled.'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LatheError('cancelled', 'Cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** An LlmClient on the `openai` SDK against any OpenAI-compatible endpoint, one model per role. */
export function createOpenAiLlmClient(roles: Record<LlmRole, RoleModel>, policy: RetryPolicy): LlmClient {
  const clients = new Map<string, OpenAI>();
  const clientFor = (m: RoleModel): OpenAI => {
    const key = `${m.baseUrl}\n${m.apiKey}`;
    let c = clients.get(key);
    if (!c) {
      // Retries are ours (Retry-After, stalls, mid-stream resets), so the SDK's are off.
      c = new OpenAI({ baseURL: m.baseUrl, apiKey: m.apiKey, maxRetries: 0, timeout: 30 * 60_000 });
      clients.set(key, c);
    }
    return c;
  };

  async function attempt(req: StreamRequest, m: RoleModel): Promise<StreamResult> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    req.signal.addEventListener('abort', onAbort, { once: true });
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, policy.stallTimeoutMs);
    };
    arm();
    let text = '';
    let usage: CallUsage | null = null;
    let finished = false;
    try {
      const stream = await clientFor(m).chat.completions.create(
        { model: m.model, messages: req.messages, stream: true, stream_options: { include_usage: true } },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        arm();
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          req.onDelta(delta);
        }
        if (choice?.finish_reason) finished = true;
        if (chunk.usage) {
          // OpenRouter adds the call's cost (USD credits) to every usage chunk, unasked.
          const cost = (chunk.usage as { cost?: unknown }).cost;
          usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
            cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
            costUsd: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
          };
        }
      }
      if (!finished) throw new Retryable('the stream ended before the model finished', null);
      return {
        text,
        model: m.model,
        usage: usage ?? {
          promptTokens: estimateTokens(req.messages.map((x) => x.content).join('')),
          completionTokens: estimateTokens(text),
          cachedTokens: 0,
          costUsd: null,
        },
      };
    } catch (e) {
      if (req.signal.aborted) throw new LatheError('cancelled', 'Cancelled.');
      throw classify(e, stalled);
    } finally {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    async stream(req) {
      const m = roles[req.role];
      if (!m) throw new LatheError('invalid_config', `No model configured for ${req.role}.`);
      for (let n = 0; ; n++) {
        try {
          return await attempt(req, m);
        } catch (e) {
          if (!(e instanceof Retryable)) throw e;
          if (n >= policy.maxRetries) {
            throw new LatheError('llm_unavailable', `The ${req.role} model failed after ${n + 1} attempts: ${e.reason}.`);
          }
          const backoff = policy.retryBaseMs * 2 ** n;
          const delayMs = Math.min(e.retryAfterMs ?? backoff, policy.maxRetryAfterMs ?? 60_000);
          await sleep(delayMs, req.signal);
          req.onRestart?.({ attempt: n + 1, reason: e.reason, delayMs });
        }
      }
    },
  };
}

export function createLlmClientFromConfig(config: AgentConfig): LlmClient {
  return createOpenAiLlmClient(config.roles, config);
}
