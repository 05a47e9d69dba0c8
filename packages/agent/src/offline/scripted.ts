import { type PromptRole, readRole } from '../operations/shared';
import { type ChatRequest, completionBody, promptTokens, SseWriter, sendJson, sleep, startChatServer, streamText, tokenize } from './http';
import { offlineAnswer } from './respond';

/**
 * One scripted answer. A request takes the first unused step whose `role` matches (or that has
 * no role) and whose `requires` all appear in the request's messages; when none is left, the
 * offline model answers, so a script only lists what differs. `requires` makes a fixer answer
 * respond only to errors the pipeline really handed it.
 */
export type ScriptStep = { role?: PromptRole; requires?: string[] } & (
  | {
      kind: 'reply';
      content: string;
      /** `length` ends the answer as cut at the token limit. */
      finishReason?: 'stop' | 'length';
      /** Streamed as `reasoning_content` deltas before the content. */
      reasoning?: string;
      /** Milliseconds of SSE keep-alive comments (and nothing else) before the answer. */
      keepAliveMs?: number;
    }
  /** An HTTP error, e.g. 429 with Retry-After (seconds) or 500. */
  | { kind: 'status'; status: number; retryAfter?: number }
  /** Streams `afterChars` characters of the answer (given, or the offline model's), then destroys the socket. */
  | { kind: 'reset'; afterChars: number; content?: string }
  /** Streams `afterChars` characters, then sends nothing more (the client must time out). */
  | { kind: 'stall'; afterChars: number; content?: string }
  /** A stream whose data line is not JSON. */
  | { kind: 'malformed' }
  /** Holds the response until `release()` of the returned handle (for cancel tests), then finishes the answer (given, or the offline model's). */
  | { kind: 'hold'; afterChars: number; content?: string }
);

export interface ScriptedModelOptions {
  script: ScriptStep[];
  port?: number;
  host?: string;
  /** Rate of streamed answers; default 0 (no delay). */
  tokensPerSecond?: number;
  /** Answer 400 to requests with `response_format`, as some OpenAI-compatible servers do. */
  refuseJsonMode?: boolean;
  /** Extra usage figures reported for a request's answer (cached prompt tokens, a provider cost in USD). */
  usage?: (request: { role: PromptRole | null; model: string }) => { cached?: number; cost?: number };
}

export interface ScriptedModel {
  url: string;
  /** Every request received, in order, with the role read from its prompt. */
  readonly requests: {
    role: PromptRole | null;
    model: string;
    messages: ChatRequest['messages'];
    context: unknown;
    responseFormat: string | null;
    maxTokens: number | null;
  }[];
  /** Steps not used yet. */
  remaining(): number;
  /** Lets held responses finish. */
  release(): void;
  close(): Promise<void>;
}

export async function startScriptedModel(options: ScriptedModelOptions): Promise<ScriptedModel> {
  const steps = [...options.script];
  const requests: ScriptedModel['requests'] = [];
  const rate = options.tokensPerSecond ?? 0;
  let releaseHeld: () => void = () => undefined;
  let held = new Promise<void>((resolve) => {
    releaseHeld = resolve;
  });

  const server = await startChatServer(options, async (chat, res) => {
    const role = readRole(chat.messages);
    requests.push({
      role,
      model: chat.model,
      messages: chat.messages,
      context: chat.latheContext,
      responseFormat: chat.responseFormat,
      maxTokens: chat.maxTokens,
    });
    if (options.refuseJsonMode && chat.responseFormat !== null) {
      sendJson(res, 400, { error: { message: 'response_format is not supported by this model', type: 'invalid_request_error' } });
      return;
    }
    const said = chat.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
    const at = steps.findIndex(
      (s) => (s.role === undefined || s.role === role) && (s.requires ?? []).every((needle) => said.includes(needle)),
    );
    const step = at === -1 ? null : (steps.splice(at, 1)[0] ?? null);
    const given =
      step?.kind === 'reply'
        ? step.content
        : step?.kind === 'hold' || step?.kind === 'reset' || step?.kind === 'stall'
          ? step.content
          : undefined;
    const answer = given ?? offlineAnswer(chat.messages, chat.latheContext);
    const prompt = promptTokens(chat);

    if (step?.kind === 'status') {
      const headers: Record<string, string> = step.retryAfter !== undefined ? { 'retry-after': String(step.retryAfter) } : {};
      sendJson(res, step.status, { error: { message: `scripted HTTP ${step.status}`, type: 'server_error' } }, headers);
      return;
    }
    if (!chat.stream) {
      sendJson(res, 200, completionBody(chat.model, answer, prompt));
      return;
    }
    const writer = new SseWriter(res, chat.model);
    writer.open();
    switch (step?.kind) {
      case 'malformed':
        writer.raw('data: {"id": "x", "choices": [ {broken\n\n');
        res.end();
        return;
      case 'reset': {
        const text = step.content ?? answer;
        await streamText(writer, text.slice(0, step.afterChars), rate);
        await sleep(20);
        res.destroy();
        return;
      }
      case 'stall': {
        const text = step.content ?? answer;
        await streamText(writer, text.slice(0, step.afterChars), rate);
        // Keep the socket open and silent until the client gives up.
        await new Promise<void>((resolve) => res.on('close', () => resolve()));
        return;
      }
      case 'hold':
        await streamText(writer, answer.slice(0, step.afterChars), rate);
        await Promise.race([held, new Promise<void>((resolve) => res.on('close', () => resolve()))]);
        if (writer.closed) return;
        await streamText(writer, answer.slice(step.afterChars), rate);
        break;
      case 'reply':
        for (let waited = 0; waited < (step.keepAliveMs ?? 0) && !writer.closed; waited += 200) {
          writer.keepAlive();
          await sleep(200);
        }
        if (step.reasoning) for (const piece of tokenize(step.reasoning)) writer.reasoning(piece);
        await streamText(writer, answer, rate);
        if (!writer.closed)
          writer.finish(
            { prompt, completion: tokenize(answer).length, ...options.usage?.({ role, model: chat.model }) },
            step.finishReason ?? 'stop',
          );
        return;
      default:
        await streamText(writer, answer, rate);
    }
    if (!writer.closed) writer.finish({ prompt, completion: tokenize(answer).length, ...options.usage?.({ role, model: chat.model }) });
  });

  return {
    url: server.url,
    requests,
    remaining: () => steps.length,
    release: () => {
      releaseHeld();
      held = Promise.resolve();
    },
    close: async () => {
      releaseHeld();
      await server.close();
    },
  };
}
