import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePhaseSpec } from '../src/operations/design';
import { createContinuationJoiner, createReasoningFilter, overlap, stripReasoning } from '../src/stream-text';

function through(filter: { push(t: string): string; end(): string }, pieces: string[]): string {
  return pieces.map((p) => filter.push(p)).join('') + filter.end();
}

/** Splits text at the given (sorted, deduplicated) cut points. */
function split(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  out.push(text.slice(prev));
  return out;
}

describe('reasoning filter', () => {
  it('drops a leading think block whatever the chunk boundaries, keeps later tags as content', () => {
    const text = "  <think>\nplan: {a: 1}\ncat > x << 'EOF'\n</think>\nHello <think>not reasoning</think>\n";
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        expect(through(createReasoningFilter(), split(text, cuts))).toBe('Hello <think>not reasoning</think>\n');
      }),
    );
  });

  it('passes an answer without reasoning unchanged, including one starting with "<"', () => {
    for (const text of ['<div>hi</div>\n', 'cat > a << EOF\nx\nEOF\n', '', '<th']) {
      expect(through(createReasoningFilter(), split(text, [1, 2, 3]))).toBe(text);
    }
  });

  it('strips reasoning blocks from a whole text', () => {
    expect(stripReasoning('<think>{"x": 1}</think>\n{"name": "a"}')).toBe('\n{"name": "a"}');
  });
});

describe('continuation joiner', () => {
  it('drops a repeated start of the cut line or a longer repeated stretch', () => {
    expect(overlap('a\n  const x = use', '  const x = useState(0);')).toBe('  const x = use'.length);
    expect(overlap('return (\n    <div className="p-4">', 'return (\n    <div className="p-4">\n')).toBeGreaterThan(12);
  });

  it('keeps a continuation that merely starts like the end of the answer', () => {
    expect(overlap('    <div>', '<div>')).toBe(0);
    expect(overlap('value = a', 'a + b')).toBe(0);
    expect(overlap('x;\n', 'y;\n')).toBe(0);
  });

  it('gives the same text whatever the chunk boundaries', () => {
    const previous = 'line one\nconst total = items.red';
    const next = 'const total = items.reduce((a, b) => a + b, 0);\nexport default total;\n';
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (cuts) => {
        expect(previous + through(createContinuationJoiner(previous), split(next, cuts))).toBe(`line one\n${next}`);
      }),
    );
  });
});

describe('plan reading', () => {
  const files = '[{"path": "src/App.tsx", "purpose": "UI"}]';
  it.each([
    [
      'a json fence with prose after',
      `Here you go:\n\`\`\`json\n{"name": "A", "description": "d", "files": ${files}, "installCommands": [], "lastPhase": true}\n\`\`\`\nEnjoy!`,
    ],
    ['a trailing comma and a comment', `{"name": "A", // first\n "description": "d", "files": ${files}, "lastPhase": true,}`],
    ['single quotes and unquoted keys', `{name: 'A', description: 'd', files: ['src/App.tsx'], lastPhase: true}`],
    ['a reasoning block with braces first', `<think>maybe {"name": "wrong"}</think>\n{"name": "A", "files": ["src/App.tsx"]}`],
    [
      'snake_case keys and a string install',
      `{"title": "A", "files": ["src/App.tsx"], "install_commands": "npm install zustand", "last_phase": "true"}`,
    ],
    ['a plan wrapped in "phase"', `{"phase": {"name": "A", "files": ${files}}}`],
    ['an answer cut before its closing brace', `{"name": "A", "files": ["src/App.tsx"], "lastPhase": true`],
  ])('reads %s', (_name, text) => {
    const parsed = parsePhaseSpec(text);
    expect(parsed.ok ? parsed.spec.name : parsed.error).toBe('A');
    expect(parsed.ok && parsed.spec.files.map((f) => f.path)).toEqual(['src/App.tsx']);
  });

  it('says exactly what is wrong', () => {
    expect(parsePhaseSpec('I cannot help with that.')).toEqual({ ok: false, error: 'the answer contains no JSON object' });
    const noFiles = parsePhaseSpec('{"name": "A"}');
    expect(noFiles.ok ? '' : noFiles.error).toMatch(/lists no files/);
  });
});
