import { checkPackageSpec, checkProjectPath } from '@lathe/sandbox';

/**
 * Incremental parser for the heredoc file format (see DESIGN.md):
 *
 *   cat > src/App.tsx << 'EOF'
 *   ...content...
 *   EOF
 *   npm install zustand
 *
 * Content is byte-exact (each content line keeps its own terminator, LF or CRLF) whatever the
 * chunk boundaries. Text outside blocks (notes, code fences, chatter) is ignored, except
 * `npm install` lines. A block that never closes is dropped, never reported as complete.
 */
export type ParserItem =
  | { type: 'file_start'; path: string }
  | { type: 'file_chunk'; path: string; chunk: string }
  | { type: 'file_end'; path: string; content: string }
  | { type: 'install'; packages: string[] }
  | { type: 'error'; code: 'unsafe_path' | 'unsafe_package' | 'file_incomplete'; message: string; path?: string };

export interface HeredocParser {
  push(chunk: string): ParserItem[];
  /** Flushes a final line without a newline and drops an unclosed block. */
  end(): ParserItem[];
}

const HEADER = /^\s*cat\s+>\s*(?<path>'[^']*'|"[^"]*"|[^\s<>'"]+)\s*<<-?\s*(?<q>['"]?)(?<delim>[A-Za-z_][A-Za-z0-9_]*)\k<q>\s*;?\s*$/;
const HEADER_REVERSED =
  /^\s*cat\s+<<-?\s*(?<q>['"]?)(?<delim>[A-Za-z_][A-Za-z0-9_]*)\k<q>\s*>\s*(?<path>'[^']*'|"[^"]*"|[^\s<>'"]+)\s*;?\s*$/;
const INSTALL = /^\s*(?:\$\s*)?(?:npm|pnpm|yarn|bun)\s+(?:install|i|add)\b(?<args>.*)$/;

function unquote(s: string): string {
  return (s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"')) ? s.slice(1, -1) : s;
}

interface OpenBlock {
  path: string;
  delim: string;
  /** False for a refused path: its content is consumed and discarded. */
  keep: boolean;
  parts: string[];
  /** The current line was already emitted as content (it cannot be the end marker). */
  lineIsContent: boolean;
  /** Held-back start of the current line that might still become the end marker. */
  pending: string;
}

export function createHeredocParser(): HeredocParser {
  let block: OpenBlock | null = null;
  // Outside a block: the incomplete current line.
  let outside = '';

  function outsideLine(line: string, out: ParserItem[]): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    const header = HEADER.exec(text) ?? HEADER_REVERSED.exec(text);
    if (header?.groups) {
      const raw = unquote(header.groups.path ?? '');
      const checked = checkProjectPath(raw);
      const path = checked.ok ? checked.path : raw;
      const delim = header.groups.delim ?? 'EOF';
      if (checked.ok) out.push({ type: 'file_start', path });
      else
        out.push({
          type: 'error',
          code: 'unsafe_path',
          message: `Refused to write ${JSON.stringify(raw)}: ${checked.message}.`,
          path: raw,
        });
      block = { path, delim, keep: checked.ok, parts: [], lineIsContent: false, pending: '' };
      return;
    }
    const install = INSTALL.exec(text);
    if (install?.groups) {
      const specs = (install.groups.args ?? '')
        .replace(/[;&|].*$/, '')
        .split(/\s+/)
        .filter((s) => s !== '' && !s.startsWith('-'));
      const good: string[] = [];
      for (const spec of specs) {
        const c = checkPackageSpec(spec);
        if (c.ok) good.push(c.spec);
        else out.push({ type: 'error', code: 'unsafe_package', message: `Refused to install ${JSON.stringify(spec)}: ${c.message}.` });
      }
      if (good.length > 0) out.push({ type: 'install', packages: good });
    }
  }

  function content(b: OpenBlock, text: string, out: ParserItem[]): void {
    if (text === '' || !b.keep) return;
    b.parts.push(text);
    out.push({ type: 'file_chunk', path: b.path, chunk: text });
  }

  function closeBlock(b: OpenBlock, out: ParserItem[]): void {
    if (b.keep) out.push({ type: 'file_end', path: b.path, content: b.parts.join('') });
    block = null;
  }

  /** Feeds text inside a block; returns how much of `s` from `from` was consumed before the block closed. */
  function inside(b: OpenBlock, s: string, from: number, out: ParserItem[]): number {
    let i = from;
    while (i < s.length) {
      const nl = s.indexOf('\n', i);
      if (b.lineIsContent) {
        // The line is known content: pass it straight through up to its end.
        const end = nl === -1 ? s.length : nl + 1;
        content(b, s.slice(i, end), out);
        i = end;
        if (nl !== -1) b.lineIsContent = false;
        continue;
      }
      if (nl === -1) {
        const candidate = b.pending + s.slice(i);
        if (b.delim.startsWith(candidate) || candidate === `${b.delim}\r`) {
          b.pending = candidate;
        } else {
          content(b, candidate, out);
          b.pending = '';
          b.lineIsContent = true;
        }
        return s.length;
      }
      const line = b.pending + s.slice(i, nl);
      b.pending = '';
      if (line === b.delim || line === `${b.delim}\r`) {
        closeBlock(b, out);
        return nl + 1;
      }
      // Most content lines arrive whole: one chunk for the line and its terminator.
      content(b, `${line}\n`, out);
      i = nl + 1;
    }
    return s.length;
  }

  function push(chunk: string): ParserItem[] {
    const out: ParserItem[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (block) {
        i = inside(block, chunk, i, out);
        continue;
      }
      const nl = chunk.indexOf('\n', i);
      if (nl === -1) {
        outside += chunk.slice(i);
        break;
      }
      const line = outside + chunk.slice(i, nl);
      outside = '';
      i = nl + 1;
      outsideLine(line, out);
    }
    return out;
  }

  function end(): ParserItem[] {
    const out: ParserItem[] = [];
    if (block === null && outside !== '') {
      const line = outside;
      outside = '';
      outsideLine(line, out);
    }
    const b: OpenBlock | null = block;
    if (b !== null) {
      if (b.pending === b.delim || b.pending === `${b.delim}\r`) closeBlock(b, out);
      else {
        if (b.keep)
          out.push({
            type: 'error',
            code: 'file_incomplete',
            message: `"${b.path}" was cut off before its end marker and was not saved.`,
            path: b.path,
          });
        block = null;
      }
    }
    return out;
  }

  return { push, end };
}

/** Parses a whole response at once (tests, the offline model's self-check). */
export function parseHeredoc(text: string): ParserItem[] {
  const p = createHeredocParser();
  return [...p.push(text), ...p.end()];
}
