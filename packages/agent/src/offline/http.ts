import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal OpenAI-compatible chat endpoint on node:http (works on Node and Bun), shared by the
 * offline model and the scripted test model. Streams SSE the way the `openai` SDK expects:
 * a role chunk, content deltas, a stop chunk, a usage chunk, then `[DONE]`.
 */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  stream: boolean;
  /** Lathe's structured input (`lathe_context`), sent only to a model named lathe-offline. */
  latheContext: unknown;
  /** The `response_format.type` asked for, if any. */
  responseFormat: string | null;
  maxTokens: number | null;
}

export interface RunningServer {
  /** Base URL ending in /v1. */
  url: string;
  close(): Promise<void>;
}

export type ChatHandler = (request: ChatRequest, res: ServerResponse, req: IncomingMessage) => Promise<void>;

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function parseChatRequest(raw: string): ChatRequest | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d.messages)) return null;
  const messages = d.messages.filter(
    (m): m is { role: string; content: unknown } =>
      typeof m === 'object' && m !== null && typeof (m as { role?: unknown }).role === 'string',
  );
  return {
    model: typeof d.model === 'string' ? d.model : 'unknown',
    messages,
    stream: d.stream === true,
    latheContext: d.lathe_context ?? null,
    responseFormat:
      typeof d.response_format === 'object' && d.response_format !== null ? String((d.response_format as { type?: unknown }).type) : null,
    maxTokens: typeof d.max_tokens === 'number' ? d.max_tokens : null,
  };
}

export async function startChatServer(options: { port?: number; host?: string }, handler: ChatHandler): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        sendJson(res, 200, { object: 'list', data: [{ id: 'lathe-offline', object: 'model', created: 0, owned_by: 'lathe' }] });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
        return;
      }
      const chat = parseChatRequest(await readBody(req));
      if (!chat) {
        sendJson(res, 400, { error: { message: 'expected a JSON body with messages', type: 'invalid_request_error' } });
        return;
      }
      await handler(chat, res, req);
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: 'internal error', type: 'server_error' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Splits text into token-sized pieces (about four characters, whitespace kept). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S{1,4}|\s+/g) ?? [];
}

export class SseWriter {
  private readonly id = `chatcmpl-${Math.random().toString(36).slice(2, 12)}`;
  private readonly created = Math.floor(Date.now() / 1000);
  constructor(
    private readonly res: ServerResponse,
    private readonly model: string,
  ) {}

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  open(): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    this.chunk({ role: 'assistant', content: '' }, null);
  }

  content(text: string): void {
    this.chunk({ content: text }, null);
  }

  /** Reasoning as DeepSeek and vLLM stream it: beside the content, never in it. */
  reasoning(text: string): void {
    this.chunk({ reasoning_content: text }, null);
  }

  /** An SSE comment, as OpenRouter sends while a model is thinking. */
  keepAlive(): void {
    this.res.write(': OPENROUTER PROCESSING\n\n');
  }

  /** `cached` and `cost` are reported the way OpenAI (prompt_tokens_details) and OpenRouter (cost, USD) do. */
  finish(usage: { prompt: number; completion: number; cached?: number; cost?: number }, finishReason: 'stop' | 'length' = 'stop'): void {
    this.chunk({}, finishReason);
    this.data({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
        ...(usage.cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: usage.cached } }),
        ...(usage.cost === undefined ? {} : { cost: usage.cost }),
      },
    });
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }

  raw(text: string): void {
    this.res.write(text);
  }

  private chunk(delta: Record<string, unknown>, finish: string | null): void {
    this.data({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  }

  private data(value: unknown): void {
    this.res.write(`data: ${JSON.stringify(value)}\n\n`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function promptTokens(request: ChatRequest): number {
  return Math.ceil(request.messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0) / 4);
}

/**
 * Streams `text` at `tokensPerSecond` (0 = as fast as possible, in large pieces). Stops early if
 * the client goes away.
 */
export async function streamText(writer: SseWriter, text: string, tokensPerSecond: number): Promise<void> {
  const tokens = tokenize(text);
  if (tokensPerSecond <= 0) {
    for (let i = 0; i < tokens.length && !writer.closed; i += 256) writer.content(tokens.slice(i, i + 256).join(''));
    return;
  }
  // Ticks of ~50 ms carry as many tokens as the rate allows, so timers stay cheap at high rates.
  const perTick = Math.max(1, Math.round(tokensPerSecond / 20));
  const tickMs = (perTick / tokensPerSecond) * 1000;
  for (let i = 0; i < tokens.length && !writer.closed; i += perTick) {
    writer.content(tokens.slice(i, i + perTick).join(''));
    await sleep(tickMs);
  }
}

/** A whole (non-streaming) chat completion body. */
export function completionBody(model: string, text: string, prompt: number): unknown {
  const completion = tokenize(text).length;
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2, 12)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}
