import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LlmRole } from '../src/config';
import { createOpenAiLlmClient, type LlmClient } from '../src/llm';
import { type ScriptStep, startScriptedModel } from '../src/offline/scripted';

const messages = [
  { role: 'system' as const, content: 'plain chat' },
  { role: 'user' as const, content: 'hello' },
];

/** A generous stall timeout by default, so a loaded machine never causes an unscripted retry. */
function client(url: string, retries = 3, stallTimeoutMs = 60_000): LlmClient {
  const role = { baseUrl: url, apiKey: 'k', model: 'm' };
  const roles: Record<LlmRole, typeof role> = { designer: role, implementer: role, fixer: role };
  return createOpenAiLlmClient(roles, { maxRetries: retries, retryBaseMs: 10, stallTimeoutMs });
}

async function withModel<T>(script: ScriptStep[], run: (url: string, requests: () => number) => Promise<T>): Promise<T> {
  const model = await startScriptedModel({ script });
  try {
    return await run(model.url, () => model.requests.length);
  } finally {
    await model.close();
  }
}

function collect(llm: LlmClient, signal = new AbortController().signal) {
  const restarts: { reason: string; delayMs: number }[] = [];
  let streamed = '';
  const result = llm.stream({
    role: 'designer',
    messages,
    signal,
    onDelta: (t) => {
      streamed += t;
    },
    onRestart: (info) => {
      streamed = '';
      restarts.push(info);
    },
  });
  return { result, restarts, streamed: () => streamed };
}

describe('OpenAI-SDK LLM client', () => {
  it('streams text and reports the usage chunk', async () => {
    await withModel([{ kind: 'reply', content: 'hello there, world' }], async (url) => {
      const c = collect(client(url));
      const r = await c.result;
      expect(r.text).toBe('hello there, world');
      expect(c.streamed()).toBe(r.text);
      expect(r.usage.completionTokens).toBeGreaterThan(0);
      expect(r.usage.promptTokens).toBeGreaterThan(0);
    });
  });

  it('honours Retry-After on 429 and backs off on 5xx', async () => {
    await withModel(
      [
        { kind: 'status', status: 429, retryAfter: 1 },
        { kind: 'status', status: 502 },
        { kind: 'reply', content: 'ok' },
      ],
      async (url) => {
        const c = collect(client(url));
        expect((await c.result).text).toBe('ok');
        expect(c.restarts.map((r) => r.delayMs)).toEqual([1000, 20]);
      },
    );
  });

  it('replays the request after a reset mid-stream and delivers the whole answer once', async () => {
    await withModel(
      [
        { kind: 'reset', afterChars: 10, content: 'abcdefghijklmnopqrstuvwxyz' },
        { kind: 'reply', content: 'abcdefghijklmnopqrstuvwxyz' },
      ],
      async (url) => {
        const c = collect(client(url));
        expect((await c.result).text).toBe('abcdefghijklmnopqrstuvwxyz');
        expect(c.streamed()).toBe('abcdefghijklmnopqrstuvwxyz');
        expect(c.restarts).toHaveLength(1);
      },
    );
  });

  it('aborts a stalled stream and retries', async () => {
    await withModel(
      [
        { kind: 'stall', afterChars: 3, content: 'abcdef' },
        { kind: 'reply', content: 'abcdef' },
      ],
      async (url) => {
        const c = collect(client(url, 3, 500));
        expect((await c.result).text).toBe('abcdef');
        expect(c.restarts[0]?.reason).toMatch(/stopped sending tokens/);
      },
    );
  });

  it('does not retry a refused key', async () => {
    await withModel([{ kind: 'status', status: 401 }], async (url, requests) => {
      await expect(collect(client(url)).result).rejects.toMatchObject({ code: 'llm_auth' });
      expect(requests()).toBe(1);
    });
  });

  it('gives up after the retry limit, also when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    await expect(collect(client(`http://127.0.0.1:${port}/v1`, 2)).result).rejects.toMatchObject({ code: 'llm_unavailable' });
  });

  it('cancel aborts the HTTP request at once', async () => {
    const model = await startScriptedModel({ script: [{ kind: 'hold', afterChars: 2 }] });
    try {
      const controller = new AbortController();
      const c = collect(client(model.url), controller.signal);
      while (c.streamed() === '') await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      await expect(c.result).rejects.toMatchObject({ code: 'cancelled' });
      expect(model.requests).toHaveLength(1);
    } finally {
      await model.close();
    }
  });

  it('marks the system prompt as a cache breakpoint for Anthropic models only, and sends max_tokens per role', async () => {
    const model = await startScriptedModel({ script: [] });
    try {
      const roles = (name: string) => {
        const role = { baseUrl: model.url, apiKey: 'k', model: name };
        return { designer: role, implementer: role, fixer: role };
      };
      const policy = { maxRetries: 0, retryBaseMs: 10, stallTimeoutMs: 60_000, maxTokens: { designer: 1234 } };
      for (const name of ['anthropic/claude-sonnet-4', 'openai/gpt-4.1']) {
        const llm = createOpenAiLlmClient(roles(name), policy);
        await llm.stream({ role: 'designer', messages, signal: new AbortController().signal, onDelta: () => undefined });
      }
      const [anthropic, openai] = model.requests;
      expect(anthropic?.messages[0]?.content).toEqual([{ type: 'text', text: 'plain chat', cache_control: { type: 'ephemeral' } }]);
      expect(openai?.messages[0]?.content).toBe('plain chat');
      expect(model.requests.map((r) => r.maxTokens)).toEqual([1234, 1234]);
    } finally {
      await model.close();
    }
  });
});
