import { describe, expect, it } from 'vitest';
import { AgentEventSchema, check, EVENT_TYPES, LatheError, LIMITS, parseClientMessage, parseServerFrame, toErrorInfo } from '../src/index';

describe('client messages', () => {
  it('accepts every message kind', () => {
    for (const m of [
      { type: 'generate', description: 'a todo app' },
      { type: 'message', text: 'make it dark' },
      { type: 'cancel' },
      { type: 'get_state' },
      { type: 'resume', afterSeq: 12 },
    ]) {
      expect(parseClientMessage(JSON.stringify(m))).toEqual({ ok: true, value: m });
    }
  });

  it('refuses malformed input with a message naming the problem', () => {
    expect(parseClientMessage('{nope')).toEqual({ ok: false, error: 'message is not valid JSON' });
    const cases: unknown[] = [
      { type: 'generate' },
      { type: 'generate', description: '' },
      { type: 'generate', description: 'x'.repeat(LIMITS.promptChars + 1) },
      { type: 'resume', afterSeq: -1 },
      { type: 'resume', afterSeq: 1.5 },
      { type: 'explode' },
      null,
      42,
    ];
    for (const c of cases) {
      const r = parseClientMessage(c);
      expect(r.ok, JSON.stringify(c)).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
  });
});

describe('server frames and events', () => {
  const event = {
    seq: 3,
    projectId: 'p',
    at: '2026-01-01T00:00:00.000Z',
    type: 'file_chunk',
    payload: { path: 'src/App.tsx', chunk: 'x' },
  };

  it('validates frames and events', () => {
    expect(parseServerFrame(JSON.stringify({ frame: 'event', event })).ok).toBe(true);
    expect(parseServerFrame(JSON.stringify({ frame: 'resume_hint', afterSeq: 3 })).ok).toBe(true);
    expect(parseServerFrame(JSON.stringify({ frame: 'event', event: { ...event, seq: 0 } })).ok).toBe(false);
    expect(parseServerFrame(JSON.stringify({ frame: 'event', event: { ...event, payload: { path: 1 } } })).ok).toBe(false);
    expect(parseServerFrame('not json')).toEqual({ ok: false, error: 'frame is not valid JSON' });
  });

  it('knows every event type once', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    expect(EVENT_TYPES).toContain('generation_complete');
    expect(check(AgentEventSchema, { ...event, type: 'unknown_type' }).ok).toBe(false);
  });
});

describe('errors', () => {
  it('turns anything thrown into { code, message } without stacks', () => {
    expect(toErrorInfo(new LatheError('stale_state', 'someone else saved first'))).toEqual({
      code: 'stale_state',
      message: 'someone else saved first',
    });
    expect(toErrorInfo(new Error('boom'))).toEqual({ code: 'internal_error', message: 'boom' });
    expect(toErrorInfo('weird', 'x')).toEqual({ code: 'x', message: 'weird' });
  });
});
