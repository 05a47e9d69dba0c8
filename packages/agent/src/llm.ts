import { LatheError } from '@lathe/protocol';
import OpenAI from 'openai';
import { type AgentConfig, type LlmRole, OFFLINE_MODEL_NAME, type RoleModel } from './config';
import { createContinuationJoiner, createReasoningFilter } from './stream-text';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamRequest {
  role: LlmRole;
  messages: ChatMessage[];
  /** Aborting it cancels the HTTP request at once; the call then rejects with code `cancelled`. */
  signal: AbortSignal;
  /** Each content delta as it arrives (reasoning never reaches it; a continuation joins seamlessly). */
  onDelta(text: string): void;
  /**
   * Called before a retry replays the request from the start: everything delivered through
   * `onDelta` since the last restart is void.
   */
  onRestart?(info: { attempt: number; reason: string; delayMs: number }): void;
  /** Called when the answer hit the token limit and a continuation request starts. */
  onContinue?(info: { continuation: number }): void;
  /** Ask for a JSON object (`response_format`) where the endpoint accepts it. */
  json?: boolean;
  /**
   * Structured input for Lathe's own offline model, sent (as `lathe_context`) only to a model
   * named `lathe-offline`: real models read the prompt text alone.
   */
  offlineContext?: unknown;
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
  /** True when the answer still ended at the token limit after every allowed continuation. */
  truncated: boolean;
  /** Continuation requests that were needed. */
  continuations: number;
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
  /** `max_tokens` per role; none sent for a role left out. */
  maxTokens?: Partial<Record<LlmRole, number>>;
  /** Continuations of an answer cut at the token limit (default 3). */
  maxContinuations?: number;
}

/** What a continuation request says after the cut answer. */
export const CONTINUE_PROMPT =
  'Your answer was cut off by the output token limit. Continue exactly where it stopped, starting with the very next character: no repetition, no introduction, no summary. If a file block was open, keep writing that file and close it as usual.';

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

/** The endpoint refused `response_format`: ask again without it. */
class JsonModeRefused extends Error {}

/** A fetch that reports every raw body chunk (SSE keep-alive comments included) as a sign of life. */
function lifeFetch(onLife: () => void): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          onLife();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** A text part with Anthropic's prompt-cache breakpoint, as OpenRouter passes it through. */
type CachedTextPart = OpenAI.Chat.ChatCompletionContentPartText & { cache_control: { type: 'ephemeral' } };

/** Anthropic models (OpenRouter's `anthropic/…` names) cache only up to marked breakpoints. */
function isAnthropic(model: string): boolean {
  return model.startsWith('anthropic/') || model.startsWith('claude');
}

/**
 * The messages as sent: for Anthropic models the system prompt, which is identical for every call
 * of a role, ends in a cache breakpoint, so repeated calls read it from the provider's cache.
 */
function wireMessages(model: string, messages: ChatMessage[]): OpenAI.Chat.ChatCompletionMessageParam[] {
  if (!isAnthropic(model)) return messages;
  return messages.map((m) => {
    if (m.role !== 'system') return m;
    const part: CachedTextPart = { type: 'text', text: m.content, cache_control: { type: 'ephemeral' } };
    return { role: 'system', content: [part] };
  });
}

interface Segment {
  text: string;
  usage: CallUsage | null;
  finishReason: string | null;
}

/** An LlmClient on the `openai` SDK against any OpenAI-compatible endpoint, one model per role. */
export function createOpenAiLlmClient(roles: Record<LlmRole, RoleModel>, policy: RetryPolicy): LlmClient {
  // Models whose endpoint refused response_format: asked in plain text from then on.
  const noJsonMode = new Set<string>();
  const maxContinuations = policy.maxContinuations ?? 3;

  /** One HTTP request; content goes through `deliver` as it arrives. */
  async function attempt(req: StreamRequest, m: RoleModel, messages: ChatMessage[], deliver: (text: string) => void): Promise<Segment> {
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
    const json = req.json === true && !noJsonMode.has(m.model);
    let text = '';
    let usage: CallUsage | null = null;
    let finishReason: string | null = null;
    const reasoning = createReasoningFilter();
    const take = (delta: string) => {
      if (delta === '') return;
      text += delta;
      deliver(delta);
    };
    try {
      // Retries are ours (Retry-After, stalls, mid-stream resets), so the SDK's are off.
      const client = new OpenAI({ baseURL: m.baseUrl, apiKey: m.apiKey, maxRetries: 0, timeout: 30 * 60_000, fetch: lifeFetch(arm) });
      const maxTokens = policy.maxTokens?.[req.role];
      const params: OpenAI.Chat.ChatCompletionCreateParamsStreaming & { lathe_context?: unknown } = {
        model: m.model,
        messages: wireMessages(m.model, messages),
        stream: true,
        stream_options: { include_usage: true },
        ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
        ...(json ? { response_format: { type: 'json_object' } } : {}),
        ...(m.model === OFFLINE_MODEL_NAME && req.offlineContext !== undefined ? { lathe_context: req.offlineContext } : {}),
      };
      const stream = await client.chat.completions.create(params, { signal: controller.signal });
      for await (const chunk of stream) {
        arm();
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        // Reasoning deltas (OpenRouter `reasoning`, DeepSeek/vLLM `reasoning_content`) are never
        // read: like SSE keep-alive comments, they only keep the request alive.
        if (delta) take(reasoning.push(delta));
        if (choice?.finish_reason) finishReason = choice.finish_reason;
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
      take(reasoning.end());
      if (finishReason === null) throw new Retryable('the stream ended before the model finished', null);
      return { text, usage, finishReason };
    } catch (e) {
      if (req.signal.aborted) throw new LatheError('cancelled', 'Cancelled.');
      if (json && e instanceof OpenAI.APIError && (e.status === 400 || e.status === 422) && /response_format|json/i.test(e.message)) {
        noJsonMode.add(m.model);
        throw new JsonModeRefused(e.message);
      }
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
      // Everything delivered so far in this answer (continuations append to it).
      let answer = '';
      let continuations = 0;
      const total: CallUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
      let failures = 0;
      for (;;) {
        const continuing = continuations > 0;
        const messages: ChatMessage[] = continuing
          ? [...req.messages, { role: 'assistant', content: answer }, { role: 'user', content: CONTINUE_PROMPT }]
          : req.messages;
        const joiner = continuing ? createContinuationJoiner(answer) : null;
        const deliver = (text: string) => {
          const out = joiner ? joiner.push(text) : text;
          if (out === '') return;
          answer += out;
          req.onDelta(out);
        };
        let segment: Segment;
        try {
          segment = await attempt(req, m, messages, deliver);
        } catch (e) {
          if (e instanceof JsonModeRefused) continue;
          if (!(e instanceof Retryable)) throw e;
          if (failures >= policy.maxRetries) {
            throw new LatheError('llm_unavailable', `The ${req.role} model failed after ${failures + 1} attempts: ${e.reason}.`);
          }
          const backoff = policy.retryBaseMs * 2 ** failures;
          failures++;
          const delayMs = Math.min(e.retryAfterMs ?? backoff, policy.maxRetryAfterMs ?? 60_000);
          await sleep(delayMs, req.signal);
          if (!continuing) {
            // The first answer starts over; a continuation goes on from what was delivered.
            answer = '';
            req.onRestart?.({ attempt: failures, reason: e.reason, delayMs });
          } else {
            const rest = joiner?.end() ?? '';
            if (rest !== '') {
              answer += rest;
              req.onDelta(rest);
            }
          }
          continue;
        }
        const rest = joiner?.end() ?? '';
        if (rest !== '') {
          answer += rest;
          req.onDelta(rest);
        }
        if (segment.usage) {
          total.promptTokens += segment.usage.promptTokens;
          total.completionTokens += segment.usage.completionTokens;
          total.cachedTokens += segment.usage.cachedTokens;
          if (segment.usage.costUsd !== null) total.costUsd = (total.costUsd ?? 0) + segment.usage.costUsd;
        } else {
          total.promptTokens += estimateTokens(messages.map((x) => x.content).join(''));
          total.completionTokens += estimateTokens(segment.text);
        }
        const cut = segment.finishReason === 'length';
        if (cut && continuations < maxContinuations) {
          continuations++;
          failures = 0;
          req.onContinue?.({ continuation: continuations });
          continue;
        }
        return { text: answer, model: m.model, usage: total, truncated: cut, continuations };
      }
    },
  };
}

export function createLlmClientFromConfig(config: AgentConfig): LlmClient {
  return createOpenAiLlmClient(config.roles, config);
}
