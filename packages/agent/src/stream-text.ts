/**
 * Pure streaming filters between the model's raw content deltas and the parsers: reasoning that
 * some models write into the answer itself, and the seam where a continuation resumes a cut answer.
 */

const THINK_OPEN = /^\s*<(think|thinking|reasoning)>/;

/**
 * Drops a reasoning block (`<think>…</think>`, `<thinking>`, `<reasoning>`) at the very start of
 * an answer, as DeepSeek-R1, Qwen3 and others send it through OpenAI-compatible servers. Only at
 * the start: the same tag later in an answer is content (it may be code).
 */
export function createReasoningFilter(): { push(text: string): string; end(): string } {
  // 'after': the block closed; the whitespace that follows it is dropped too.
  let state: 'undecided' | 'inside' | 'after' | 'passing' = 'undecided';
  let held = '';
  let close = '';

  function push(text: string): string {
    if (state === 'passing') return text;
    if (state === 'after') {
      const rest = text.trimStart();
      if (rest !== '') state = 'passing';
      return rest;
    }
    held += text;
    if (state === 'undecided') {
      const open = THINK_OPEN.exec(held);
      if (!open) {
        // Still a possible prefix of an opening tag (after whitespace): wait for more.
        const trimmed = held.trimStart();
        if (trimmed.length < 12 && ['<think>', '<thinking>', '<reasoning>'].some((t) => t.startsWith(trimmed))) return '';
        state = 'passing';
        const out = held;
        held = '';
        return out;
      }
      state = 'inside';
      close = `</${open[1]}>`;
      held = held.slice(open[0].length);
    }
    const at = held.indexOf(close);
    if (at === -1) {
      // Keep only what could still be the start of the closing tag.
      held = held.slice(Math.max(0, held.length - close.length));
      return '';
    }
    const rest = held.slice(at + close.length);
    held = '';
    state = 'after';
    return push(rest);
  }

  function end(): string {
    // An answer that was only an unfinished reasoning block has no content; an undecided start is content.
    const out = state === 'undecided' ? held : '';
    held = '';
    return out;
  }

  return { push, end };
}

/** Removes every complete reasoning block from a whole text (plans read after streaming). */
export function stripReasoning(text: string): string {
  return text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/g, '').replace(/^\s*<(think|thinking|reasoning)>[\s\S]*$/, '');
}

const JOIN_PROBE = 400;

/**
 * Joins a continuation to the answer it continues. Models asked to go on often repeat the start
 * of the line they were cut in, or a longer stretch: the repeated part is dropped. The first
 * characters are held until the overlap can be judged (or the stream ends).
 */
export function createContinuationJoiner(previous: string): { push(text: string): string; end(): string } {
  const tail = previous.slice(-2 * JOIN_PROBE);
  let held = '';
  let decided = false;

  function decide(): string {
    decided = true;
    const k = overlap(tail, held);
    const out = held.slice(k);
    held = '';
    return out;
  }

  return {
    push(text: string): string {
      if (decided) return text;
      held += text;
      return held.length >= JOIN_PROBE ? decide() : '';
    },
    end(): string {
      return decided ? '' : decide();
    },
  };
}

/**
 * Length of the longest start of `next` that `tail` ends with, counted only when it is clearly a
 * repetition: at least 12 characters, or a restart of the cut line (the overlap begins at a line
 * start) of at least 3 characters.
 */
export function overlap(tail: string, next: string): number {
  const max = Math.min(tail.length, next.length);
  for (let k = max; k >= 3; k--) {
    if (!tail.endsWith(next.slice(0, k))) continue;
    const before = tail.length - k;
    const atLineStart = before === 0 || tail[before - 1] === '\n';
    if (k >= 12 || atLineStart) return k;
  }
  return 0;
}
