import { checkPackageSpec, checkProjectPath } from '@lathe/sandbox';

/**
 * Incremental parser for model answers that write files (see DESIGN.md). The asked-for form is
 * the heredoc:
 *
 *   cat > src/App.tsx << 'EOF'
 *   ...content...
 *   EOF
 *   npm install zustand
 *
 * Real models drift from it, so it also accepts: an end marker with indentation or trailing
 * whitespace; a `mkdir -p dir && ` before the header; heredocs wrapped in a code fence; and, as a
 * fallback, a fenced code block whose path is on the fence line (```tsx src/App.tsx), alone on the
 * line above it (**src/App.tsx**), or a comment alone on its first line (// src/App.tsx).
 * `<think>` blocks are skipped. Install commands count only as a whole command line.
 *
 * Besides whole files, a model may edit an existing file with search/replace blocks (the form
 * aider made common), the path on the last non-blank line above or on the fence around them:
 *
 *   src/App.tsx
 *   <<<<<<< SEARCH
 *   ...exact old lines...
 *   =======
 *   ...new lines...
 *   >>>>>>> REPLACE
 *
 * and delete or rename files with `rm path` and `mv from to`, which count, like installs, only as a
 * whole command line. The parser only reports them; the runner decides how they apply.
 *
 * Content is byte-exact (each content line keeps its own terminator, LF or CRLF; a fence indented
 * in a list loses that indentation, as markdown reads it) whatever the chunk boundaries. A block
 * that never closes, or that holds an elision placeholder instead of code, is reported as an error
 * and never as a file_end.
 */
export type ParserErrorCode =
  | 'unsafe_path'
  | 'unsafe_package'
  | 'file_incomplete'
  | 'placeholder'
  /** A SEARCH/REPLACE block that never reached its ======= or >>>>>>> REPLACE line. */
  | 'edit_incomplete'
  /** A SEARCH/REPLACE block with no file path before it (nor an earlier edit to continue). */
  | 'edit_no_path';

export type ParserItem =
  | { type: 'file_start'; path: string }
  | { type: 'file_chunk'; path: string; chunk: string }
  | { type: 'file_end'; path: string; content: string }
  | { type: 'install'; packages: string[] }
  /**
   * A search/replace edit of an existing file, reported at its >>>>>>> REPLACE line. `search` and
   * `replace` are the exact lines between the markers, each with its own terminator (either may
   * be empty: an empty search is for the runner to interpret).
   */
  | { type: 'edit'; path: string; search: string; replace: string }
  /** `rm [-rf] path`: a file, or a directory as given (the runner expands it). */
  | { type: 'delete'; path: string }
  /** `mv from to`. */
  | { type: 'rename'; from: string; to: string }
  | {
      type: 'error';
      code: ParserErrorCode;
      message: string;
      path?: string;
      /** file_incomplete, edit_incomplete: the line that would have closed the block (its end marker, ```, =======, >>>>>>> REPLACE). */
      expected?: string;
      /** placeholder: the offending line (trimmed) and its 1-based number in the file (in an edit: in its REPLACE part). */
      excerpt?: string;
      line?: number;
    };

export interface HeredocParser {
  push(chunk: string): ParserItem[];
  /** Flushes a final line without a newline and reports a block left open. */
  end(): ParserItem[];
}

const PATH_ARG = `(?<path>'[^']*'|"[^"]*"|[^\\s<>'"&;|]+)`;
const DELIM_ARG = `<<-?\\s*(?<q>['"]?)(?<delim>[A-Za-z_][A-Za-z0-9_]*)\\k<q>`;
// `$ ` prompt and `mkdir -p dir && ` before the command are common; nothing else may precede it.
const PREFIX = `^\\s*(?:\\$\\s+)?(?:mkdir\\s[^&;|<>\`]*&&\\s*)?`;
const HEADER = new RegExp(`${PREFIX}cat\\s+>\\s*${PATH_ARG}\\s*${DELIM_ARG}\\s*;?\\s*$`);
const HEADER_REVERSED = new RegExp(`${PREFIX}cat\\s+${DELIM_ARG}\\s*>\\s*${PATH_ARG}\\s*;?\\s*$`);

const FENCE_OPEN = /^( *)(`{3,})([^`]*)$/;
const SHELL_LANGS = new Set([
  'bash',
  'sh',
  'shell',
  'zsh',
  'fish',
  'console',
  'terminal',
  'shellscript',
  'shell-session',
  'powershell',
  'ps1',
  'cmd',
  'bat',
]);
/** Fences that show changes or output, never a whole file. */
const NEVER_FILE_LANGS = new Set(['diff', 'patch']);
const SHELL_EXT = /\.(sh|bash|zsh|fish|ps1|cmd|bat)$/;

const COMMAND_WORD = /^(?:npm|pnpm|yarn|bun|npx|pnpx|bunx|cd|mkdir|touch|git|node|rm|mv)(?:\s|$)/;
const INSTALL = /^(?:npm|pnpm|yarn|bun)\s+(?:install|i|add)(?:\s+(?<args>.*))?$/;
const FILE_COMMAND = /^(?:git\s+)?(?<cmd>rm|mv)\s+(?<args>.*)$/;
/** A path argument of rm or mv: a file with an extension, or a directory with a slash in it. */
const PATH_ARG_CHARS = /^[\w@$.()[\]+~/-]+$/;
/** English words that follow "npm install" in prose; none is a package a generated app needs. */
const STOPWORDS = new Set(
  (
    'a an the this that these those it its them they their there here then than now next first again also just only ' +
    'will would should could can may might must shall do does did done is are was were be been being has have had ' +
    'to of in on at by for with from into onto about after before when while once if so or and but not no yes ' +
    'all any each every both some more most other such own same you your we our us i me my he she his her ' +
    'step steps command commands package packages dependency dependencies below above later'
  ).split(' '),
);

/** Whitespace (space, tab) at the start of `s` from `i`. */
function skipBlank(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

function unquote(s: string): string {
  return (s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"')) ? s.slice(1, -1) : s;
}

// A file path as models name one: segments, the last with an extension (route file names use $,
// [], () and +). Absolute ones count too, so that checkProjectPath refuses them out loud.
const PATH_LIKE = /^(?:\.\/|\/|~\/)?(?:[\w@$.()[\]+~-]+\/)*[\w@$.()[\]+~-]*[\w\])-]\.[A-Za-z0-9]{1,10}$|^(?:[\w@$.()[\]+~-]+\/)*\.[\w.-]+$/;
// "Node.js", "Next.js" as a heading are product names, not files at the project root.
const PRODUCT_NAME = /^[A-Z][A-Za-z0-9]*\.js$/;

function pathLike(s: string): boolean {
  return s.length <= 300 && PATH_LIKE.test(s) && !PRODUCT_NAME.test(s) && /[A-Za-z]/.test(s);
}

/**
 * The path named by a line that holds nothing else: `src/App.tsx`, **src/App.tsx**, ### `src/App.tsx`,
 * // src/App.tsx, File: src/App.tsx, 2. **src/App.tsx** (new file).
 */
function pathAlone(text: string): string | null {
  if (!text.includes('.')) return null; // every path has an extension
  let s = text.trim();
  if (s.length === 0 || s.length > 300) return null;
  s = s.replace(/^(?:#{1,6}\s+|[-*+]\s+|\d{1,2}[.)]\s+)+/, '');
  s = s.replace(/^(?:\/\/|\/\*|<!--|#)\s*/, '').replace(/\s*(?:\*\/|-->)$/, '');
  s = s.replace(/[*`]/g, '').trim();
  s = s.replace(/^(?:file|filename|file name|path)\s*:\s*/i, '');
  s = s.replace(/\s+\((?:new|new file|updated|modified|created?|replaced?|complete|full|full file)\)$/i, '');
  s = s.replace(/:$/, '').trim();
  return pathLike(s) ? s : null;
}

interface FenceInfo {
  ticks: number;
  indent: number;
  lang: string;
  path: string | null;
}

function parseFence(text: string): FenceInfo | null {
  const m = FENCE_OPEN.exec(text);
  if (!m) return null;
  const info = (m[3] ?? '').trim();
  let lang = '';
  let path: string | null = null;
  const attr = /\b(?:title|filename|file|path|name)=(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(info);
  const words = info.split(/\s+/).filter((w) => w !== '');
  const first = words[0] ?? '';
  const colon = first.indexOf(':');
  if (colon > 0 && pathLike(first.slice(colon + 1))) {
    // ```tsx:src/App.tsx
    lang = first.slice(0, colon);
    path = first.slice(colon + 1);
  } else if (!first.includes('=') && pathLike(first)) {
    path = first; // ```src/App.tsx
  } else {
    lang = first.includes('=') ? '' : first;
    const second = words[1] ?? '';
    const named = attr ? (attr[1] ?? attr[2] ?? attr[3] ?? '') : second;
    if (pathLike(named)) path = named;
  }
  return { ticks: (m[2] ?? '').length, indent: (m[1] ?? '').length, lang: lang.toLowerCase(), path };
}

/** The first line of a fence that names its file in a comment: // src/App.tsx, /* src/index.css *\/. */
function pathComment(text: string): string | null {
  return /^\s*(?:\/\/|\/\*|<!--|#)/.test(text) ? pathAlone(text) : null;
}

function isClosingFence(text: string, ticks: number): boolean {
  const i = skipBlank(text, 0);
  let j = i;
  while (j < text.length && text.charCodeAt(j) === 96) j++;
  return j - i >= ticks && skipBlank(text, j) === text.length;
}

// ---- Elision placeholders ------------------------------------------------------------------

const ELLIPSIS_ONLY = /^(?:\.{2,}|…)$/;
const LEAD_ELLIPSIS = /^(?:\.{2,}|…)/;
const TRAIL_ELLIPSIS = /(?:\.{2,}|…)$/;
const LEAD_KEYWORD = /\b(?:existing|rest|remaining|unchanged|same|previous|other|others|omitted|etc|more|code|keep|so on)\b/;
const TRAIL_KEYWORD = /\b(?:existing|unchanged|remains?|remaining|same as|omitted)\b/;
const REST_OF = /^(?:the )?(?:rest|remainder) of\b/;
const EXISTING_CODE = /\bexisting code\b|^\(?(?:keep|keeping) (?:the |all |your )?existing\b/;
const UNCHANGED = /\b(?:unchanged|stays the same|remains? the same|as before|omitted|for brevity|truncated|not shown)\b/;
const UNCHANGED_WHAT =
  /\b(?:code|file|rest|component|implementation|imports|styles|everything|remaining|content|functions?|methods?|logic)\b/;
/** Every placeholder form below has one of these; most real comments have none. */
const PLACEHOLDER_WORD = /\.\.|…|rest|remainder|existing|unchanged|same|before|omitted|brevity|truncated|shown/i;
/** Files where an ellipsis is prose, not elided code. */
const PROSE_FILE = /\.(?:md|mdx|markdown|txt)$/i;

/** A comment-only line (or a bare ellipsis) that stands in for code the model left out. */
function isPlaceholder(line: string): boolean {
  if (!PLACEHOLDER_WORD.test(line)) return false;
  const t = line.trim();
  let body: string;
  if (t === '...' || t === '…') return true;
  if (t.startsWith('//')) body = t.slice(2);
  else if (t.startsWith('{/*') && t.endsWith('*/}')) body = t.slice(3, -3);
  else if (t.startsWith('/*') && t.endsWith('*/')) body = t.slice(2, -2);
  else if (t.startsWith('<!--') && t.endsWith('-->')) body = t.slice(4, -3);
  else return false;
  const b = body.replace(/^[\s*]+|[\s*]+$/g, '').toLowerCase();
  if (ELLIPSIS_ONLY.test(b)) return true;
  const lead = LEAD_ELLIPSIS.test(b);
  if (lead && (TRAIL_ELLIPSIS.test(b) || LEAD_KEYWORD.test(b))) return true;
  if (!lead && TRAIL_ELLIPSIS.test(b) && TRAIL_KEYWORD.test(b)) return true;
  if (REST_OF.test(b) || EXISTING_CODE.test(b)) return true;
  // Short, like "rest of the code unchanged": a long comment that mentions unchanged files explains code.
  return b.split(/\s+/).length <= 7 && UNCHANGED.test(b) && UNCHANGED_WHAT.test(b);
}

/** Does `s` from `i` start with `p`, or with as much of `p` as `s` has left? (No allocation: hot path.) */
function hasPrefix(s: string, i: number, p: string): boolean {
  const n = Math.min(p.length, s.length - i);
  for (let k = 0; k < n; k++) if (s.charCodeAt(i + k) !== p.charCodeAt(k)) return false;
  return true;
}

/** Could the line starting at `s[i]` (its first non-blank character) be a placeholder comment? */
function placeholderStart(s: string, i: number): boolean {
  switch (s.charCodeAt(i)) {
    case 47: // /
      return hasPrefix(s, i, '//') || hasPrefix(s, i, '/*');
    case 123: // {
      return hasPrefix(s, i, '{/*');
    case 60: // <
      return hasPrefix(s, i, '<!--');
    case 46: // .
      return hasPrefix(s, i, '...');
    case 0x2026: // …
      return true;
    default:
      return false;
  }
}

/** Could the line starting at `s[i]` be a file header (a heredoc or a fence naming a file)? */
function headerStart(s: string, i: number): boolean {
  switch (s.charCodeAt(i)) {
    case 99: // c
      return hasPrefix(s, i, 'cat');
    case 109: // m
      return hasPrefix(s, i, 'mkdir');
    case 96: // `
      return hasPrefix(s, i, '```');
    default:
      return false;
  }
}

// ---- Install commands ----------------------------------------------------------------------

type FileOp = { type: 'delete'; path: string } | { type: 'rename'; from: string; to: string };
type CommandLine = { packages: string[]; refused: { spec: string; message: string }[]; files: FileOp[] };

/** Prose words cannot be package specs: capitals, sentence punctuation, quotes, English words. */
function proseWord(arg: string): boolean {
  const name = arg.startsWith('@') ? arg : (arg.split('@')[0] ?? arg);
  return STOPWORDS.has(name) || /[A-Z]/.test(name) || /[.,:;!?)"'`]$/.test(arg) || /["'`(]/.test(arg) || /[^\x21-\x7e]/.test(arg);
}

/** An argument of rm or mv that names a path, never a word of a sentence ("rm the old file"). */
function pathArg(arg: string): boolean {
  return PATH_ARG_CHARS.test(arg) && /[A-Za-z]/.test(arg) && !arg.endsWith('.') && (arg.includes('/') || pathLike(arg));
}

/** `rm a b`, `rm -rf dir/`, `mv a b`, `git mv a b`; null when an argument is prose or mv has not two paths. */
function fileCommand(cmd: string, args: string): FileOp[] | null {
  const paths = args.split(/\s+/).filter((a) => a !== '' && !a.startsWith('-'));
  if (paths.length === 0 || !paths.every(pathArg)) return null;
  if (cmd === 'rm') return paths.map((path) => ({ type: 'delete', path }));
  const [from, to] = paths;
  return paths.length === 2 && from !== undefined && to !== undefined ? [{ type: 'rename', from, to }] : null;
}

/**
 * Installs, deletes and renames only when the whole line is a command (`npm install a b`,
 * `$ pnpm add a`, `npm i a && npm run dev`, `rm -f src/old.tsx`), never a sentence that starts with
 * one ("npm install will pick...", "rm the old file").
 */
function shellCommand(text: string): CommandLine | null {
  if (!/\b(?:npm|pnpm|yarn|bun|rm|mv)\s/.test(text)) return null;
  let s = text.trim();
  if (s.length > 1000) return null;
  if (/^`[^`]+`$/.test(s)) s = s.slice(1, -1).trim();
  s = s.replace(/^\$\s+/, '').replace(/\s+#.*$/, '');
  const segments = s.split(/\s*(?:&&|\|\||;|\|)\s*/).filter((x) => x !== '');
  if (segments.length === 0 || !segments.every((x) => COMMAND_WORD.test(x))) return null;
  const result: CommandLine = { packages: [], refused: [], files: [] };
  let any = false;
  for (const segment of segments) {
    const file = FILE_COMMAND.exec(segment);
    if (file?.groups) {
      const ops = fileCommand(file.groups.cmd ?? '', file.groups.args ?? '');
      if (ops === null) return null;
      result.files.push(...ops);
      any = true;
      continue;
    }
    const m = INSTALL.exec(segment);
    if (!m) continue;
    any = true;
    for (const arg of (m.groups?.args ?? '').split(/\s+/)) {
      if (arg === '' || arg.startsWith('-')) continue;
      if (proseWord(arg)) return null;
      const c = checkPackageSpec(arg);
      if (c.ok) result.packages.push(c.spec);
      else result.refused.push({ spec: arg, message: c.message });
    }
  }
  return any ? result : null;
}

// ---- Edit blocks ---------------------------------------------------------------------------

const EDIT_SEARCH = /^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*$/i;
const EDIT_DIVIDER = /^[ \t]*={5,9}[ \t]*$/;
const EDIT_REPLACE = /^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$/i;

/** Could `text` be an edit marker line? (A first-character test before any regex: hot path.) */
function markerStart(text: string, c: number): boolean {
  const i = skipBlank(text, 0);
  return text.charCodeAt(i) === c && text.charCodeAt(i + 4) === c;
}

// ---- The parser ----------------------------------------------------------------------------

interface BlockShape {
  /** The end marker (heredoc). */
  delim: string;
  /** The opening fence's backtick count (fence). */
  ticks: number;
  /** Leading spaces removed from each content line (the fence's own indentation). */
  strip: number;
  /** Heredoc written inside a code fence: that fence's backtick count, else 0. */
  fenceTicks: number;
}

interface OpenBlock extends BlockShape {
  kind: 'heredoc' | 'fence';
  path: string;
  /** First character of the closing line (after indentation): of the end marker, or a backtick. */
  closeChar: number;
  /** False for a refused path: its content is consumed and discarded. */
  keep: boolean;
  checkPlaceholders: boolean;
  parts: string[];
  /** The current line was already emitted as content (it cannot be the end marker). */
  lineIsContent: boolean;
  /** Held-back start of the current line that might still become the end marker. */
  pending: string;
  /** The current line so far, kept only while it may be a placeholder or a header. */
  watched: string | null;
  /** `watched` was decided on enough of the line to be sure. */
  watchSure: boolean;
  /** 1-based number of the current content line. */
  line: number;
  placeholder: { excerpt: string; line: number } | null;
  /** Later lines that looked like file headers (the answer swallowed by a block left open). */
  swallowed: number;
  /** Fences opened inside a heredoc that sits in a fence: their closing lines are content too. */
  depth: number;
}

type Mode =
  | { kind: 'prose' }
  | { kind: 'think' }
  /** A fence just opened: its first line decides whether it is a file, a heredoc wrapper or an example. */
  | { kind: 'fence_head'; fence: FenceInfo; path: string | null; pathFromAbove: boolean }
  /** A fence that is not a file: shell commands (heredocs, installs) or example code. */
  | FenceMode
  /** Inside a SEARCH/REPLACE block: its lines are collected until >>>>>>> REPLACE. */
  | { kind: 'edit'; edit: OpenEdit };

type FenceMode = { kind: 'fence'; fence: FenceInfo; commands: boolean };

interface OpenEdit {
  /** The checked path, or the raw one when refused. */
  path: string;
  /** False for a refused or missing path: the block is consumed and discarded. */
  keep: boolean;
  /** The ======= line has come: lines now go to `replace`. */
  divided: boolean;
  search: string[];
  replace: string[];
  /** Leading spaces removed from each line (the indentation of the fence around it). */
  strip: number;
  /** Where the answer goes on after the block: prose, or the code fence that holds it. */
  back: { kind: 'prose' } | FenceMode;
  /** The last non-blank line: if it names a path alone, the file of a next block when this one lost its end. */
  lastLine: string;
  /** Fences opened inside the block: their closing lines are content too. */
  depth: number;
  /** Later lines that looked like file headers (the answer swallowed by a block left open). */
  swallowed: number;
}

const THINK_OPEN = /^\s*<(think|thinking)>/;
const THINK_CLOSE = /<\/(?:think|thinking)>/;

export function createHeredocParser(): HeredocParser {
  let block: OpenBlock | null = null;
  let mode: Mode = { kind: 'prose' };
  // Outside a block: the incomplete current line.
  let outside = '';
  // A path alone on the last non-blank prose line, for a fence that follows it.
  let pathAbove: string | null = null;
  /** Prose lines since `pathAbove` was named. */
  let proseSincePath = 0;
  // Whether the line handled by outsideLine ended with a newline (false only for the last, from end()).
  let rawHadNewline = true;
  // The file the last edit block named: a next block without a path line edits it too.
  let editPath: string | null = null;

  function openBlock(kind: OpenBlock['kind'], raw: string, shape: BlockShape, out: ParserItem[]): OpenBlock {
    const checked = checkProjectPath(raw);
    const path = checked.ok ? checked.path : raw;
    if (checked.ok) out.push({ type: 'file_start', path });
    else
      out.push({
        type: 'error',
        code: 'unsafe_path',
        message: `Refused to write ${JSON.stringify(raw)}: ${checked.message}. Nothing was saved for it; use a path inside the project such as src/App.tsx.`,
        path: raw,
      });
    const b: OpenBlock = {
      kind,
      path,
      ...shape,
      closeChar: kind === 'heredoc' ? shape.delim.charCodeAt(0) : 96,
      keep: checked.ok,
      checkPlaceholders: checked.ok && !PROSE_FILE.test(path),
      parts: [],
      lineIsContent: false,
      pending: '',
      watched: null,
      watchSure: false,
      line: 1,
      placeholder: null,
      swallowed: 0,
      depth: 0,
    };
    block = b;
    editPath = null;
    return b;
  }

  /** A <<<<<<< SEARCH line: an edit of the file `named` just above it, else of the last edit's file. */
  function openEdit(named: string | null, back: OpenEdit['back'], strip: number, out: ParserItem[]): void {
    const raw = named ?? editPath;
    pathAbove = null;
    let path = raw ?? '';
    let keep = false;
    if (raw === null) {
      out.push({
        type: 'error',
        code: 'edit_no_path',
        message:
          'A <<<<<<< SEARCH block was not applied: no file path came before it. Put the path of the file to edit alone on the line above <<<<<<< SEARCH.',
      });
    } else {
      editPath = raw;
      const checked = checkProjectPath(raw);
      if (checked.ok) {
        path = checked.path;
        keep = true;
      } else
        out.push({
          type: 'error',
          code: 'unsafe_path',
          message: `Refused to edit ${JSON.stringify(raw)}: ${checked.message}. Nothing was changed; use a path inside the project such as src/App.tsx.`,
          path: raw,
        });
    }
    const edit: OpenEdit = { path, keep, divided: false, search: [], replace: [], strip, back, lastLine: '', depth: 0, swallowed: 0 };
    mode = { kind: 'edit', edit };
  }

  function editIncomplete(e: OpenEdit, until: string): ParserItem {
    const missing = e.divided ? 'no >>>>>>> REPLACE line came after its new lines' : 'no ======= line came after its SEARCH lines';
    const lost =
      e.swallowed > 0
        ? `; the rest of the answer was read as part of it, so ${e.swallowed} later file${e.swallowed === 1 ? ' was' : 's were'} lost with it`
        : '';
    return {
      type: 'error',
      code: 'edit_incomplete',
      message: `The edit to "${e.path}" was not applied: ${missing} before ${until}${lost}. Send the edit again, whole: the path alone on a line, <<<<<<< SEARCH, the exact old lines, =======, the new lines, >>>>>>> REPLACE.`,
      path: e.path,
      expected: e.divided ? '>>>>>>> REPLACE' : '=======',
    };
  }

  function closeEdit(e: OpenEdit, out: ParserItem[]): void {
    mode = e.back;
    pathAbove = null;
    if (!e.keep) return;
    if (!PROSE_FILE.test(e.path)) {
      // A placeholder in the new lines would be written into the file as is (unless the old lines hold it too).
      for (let n = 0; n < e.replace.length; n++) {
        const line = (e.replace[n] ?? '').replace(/\r?\n$/, '');
        if (!isPlaceholder(line) || e.search.some((l) => l.trim() === line.trim())) continue;
        const excerpt = line.trim().slice(0, 120);
        out.push({
          type: 'error',
          code: 'placeholder',
          message: `The edit to "${e.path}" was not applied: line ${n + 1} of its new lines is a placeholder (\`${excerpt}\`) instead of code. Send the edit again with every new line written out, or the complete file.`,
          path: e.path,
          excerpt,
          line: n + 1,
        });
        return;
      }
    }
    out.push({ type: 'edit', path: e.path, search: e.search.join(''), replace: e.replace.join('') });
  }

  /** A line inside a SEARCH/REPLACE block. */
  function editLine(e: OpenEdit, raw: string, text: string, out: ParserItem[]): void {
    const i = skipBlank(text, 0);
    const c = text.charCodeAt(i);
    if (c === 62 && EDIT_REPLACE.test(text)) {
      if (e.divided) closeEdit(e, out);
      else {
        if (e.keep) out.push(editIncomplete(e, 'its >>>>>>> REPLACE line'));
        mode = e.back;
        pathAbove = null;
      }
      return;
    }
    if (c === 61 && !e.divided && EDIT_DIVIDER.test(text)) {
      e.divided = true;
      return;
    }
    if (c === 60 && EDIT_SEARCH.test(text)) {
      // The model lost this block's end; the next block edits the path named just above it, if any.
      if (e.keep) out.push(editIncomplete(e, 'the next edit block began'));
      openEdit(pathAlone(e.lastLine), e.back, e.strip, out);
      return;
    }
    if (c === 96 && e.back.kind === 'fence') {
      if (isClosingFence(text, e.back.fence.ticks)) {
        if (e.depth > 0) e.depth--;
        else {
          if (e.keep) out.push(editIncomplete(e, 'the code block around it closed'));
          mode = { kind: 'prose' };
          pathAbove = null;
          return;
        }
      } else if (parseFence(text)?.lang || parseFence(text)?.path) e.depth++;
    }
    if (i < text.length) {
      e.lastLine = text;
      if (headerStart(text, i) && (HEADER.test(text) || HEADER_REVERSED.test(text) || parseFence(text)?.path)) e.swallowed++;
    }
    let k = 0;
    while (k < e.strip && raw.charCodeAt(k) === 32) k++;
    const line = (k === 0 ? raw : raw.slice(k)) + (rawHadNewline ? '\n' : '');
    (e.divided ? e.replace : e.search).push(line);
  }

  function fileOp(op: FileOp, out: ParserItem[]): void {
    const raws = op.type === 'delete' ? [op.path] : [op.from, op.to];
    const checked = raws.map(checkProjectPath);
    const bad = checked.findIndex((c) => !c.ok);
    if (bad === -1) {
      const [a, b] = checked.map((c) => (c.ok ? c.path : ''));
      out.push(op.type === 'delete' ? { type: 'delete', path: a ?? '' } : { type: 'rename', from: a ?? '', to: b ?? '' });
      return;
    }
    const c = checked[bad];
    const raw = raws[bad] ?? '';
    const what =
      op.type === 'delete' ? `delete ${JSON.stringify(op.path)}` : `rename ${JSON.stringify(op.from)} to ${JSON.stringify(op.to)}`;
    out.push({
      type: 'error',
      code: 'unsafe_path',
      message: `Refused to ${what}: ${c && !c.ok ? c.message : 'bad path'}. Nothing was ${op.type === 'delete' ? 'deleted' : 'moved'}; use paths inside the project such as src/App.tsx.`,
      path: raw,
    });
  }

  function openHeredoc(header: Record<string, string | undefined>, fence: FenceInfo | null, out: ParserItem[]): void {
    const shape = { delim: header.delim ?? 'EOF', ticks: 0, strip: fence?.indent ?? 0, fenceTicks: fence?.ticks ?? 0 };
    openBlock('heredoc', unquote(header.path ?? ''), shape, out);
  }

  /** A heredoc header or an install, delete or rename command; true when the line was one. */
  function commandLine(text: string, out: ParserItem[], installs: boolean, fence: FenceInfo | null): boolean {
    const header = HEADER.exec(text) ?? HEADER_REVERSED.exec(text);
    if (header?.groups) {
      openHeredoc(header.groups, fence, out);
      return true;
    }
    if (!installs) return false;
    const command = shellCommand(text);
    if (!command) return false;
    for (const r of command.refused)
      out.push({ type: 'error', code: 'unsafe_package', message: `Refused to install ${JSON.stringify(r.spec)}: ${r.message}.` });
    if (command.packages.length > 0) out.push({ type: 'install', packages: command.packages });
    for (const op of command.files) fileOp(op, out);
    return true;
  }

  function outsideLine(raw: string, out: ParserItem[]): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = mode;
    switch (m.kind) {
      case 'think': {
        const close = THINK_CLOSE.exec(text);
        if (close) {
          mode = { kind: 'prose' };
          const rest = text.slice(close.index + close[0].length);
          if (rest.trim() !== '') outsideLine(rest, out);
        }
        return;
      }
      case 'fence_head':
        fenceHead(m, raw, text, out);
        return;
      case 'edit':
        editLine(m.edit, raw, text, out);
        return;
      case 'fence':
        if (isClosingFence(text, m.fence.ticks)) {
          mode = { kind: 'prose' };
          pathAbove = null;
        } else if (markerStart(text, 60) && EDIT_SEARCH.test(text)) openEdit(pathAbove, m, m.fence.indent, out);
        else if (commandLine(text, out, m.commands, m.fence)) pathAbove = null;
        else if (text.trim() !== '') pathAbove = pathAlone(text); // a path line inside the fence, above an edit block
        return;
      case 'prose': {
        const think = THINK_OPEN.exec(text);
        if (think) {
          const close = THINK_CLOSE.exec(text);
          if (!close) mode = { kind: 'think' };
          else if (text.slice(close.index + close[0].length).trim() !== '') outsideLine(text.slice(close.index + close[0].length), out);
          return;
        }
        if (markerStart(text, 60) && EDIT_SEARCH.test(text)) {
          openEdit(pathAbove, { kind: 'prose' }, 0, out);
          return;
        }
        const fence = parseFence(text);
        if (fence) {
          const path = fence.path ?? pathAbove;
          mode = { kind: 'fence_head', fence, path, pathFromAbove: fence.path === null && path !== null };
          pathAbove = null;
          return;
        }
        if (commandLine(text, out, true, null)) {
          pathAbove = null;
          return;
        }
        if (text.trim() !== '') {
          const named = pathAlone(text);
          // A sentence or two between a file's heading and its fence ("This file holds the
          // shared types.") keeps the heading's path, as chat models often write it.
          if (named !== null || pathAbove === null || proseSincePath >= 2) {
            pathAbove = named;
            proseSincePath = 0;
          } else proseSincePath++;
        }
        return;
      }
    }
  }

  /** The first line inside a fence decides what the fence is. */
  function fenceHead(m: Extract<Mode, { kind: 'fence_head' }>, raw: string, text: string, out: ParserItem[]): void {
    const { fence } = m;
    if (isClosingFence(text, fence.ticks)) {
      mode = { kind: 'prose' }; // an empty fence saves nothing
      return;
    }
    const shell = SHELL_LANGS.has(fence.lang);
    const commands = shell || fence.lang === '';
    mode = { kind: 'fence', fence, commands };
    // A fence that opens with <<<<<<< SEARCH holds edits of the file it names, not a file.
    if (markerStart(text, 60) && EDIT_SEARCH.test(text)) {
      openEdit(m.path, mode, fence.indent, out);
      return;
    }
    // A heredoc wrapped in a fence stays a heredoc, whatever path the fence seemed to name.
    if (commandLine(text, out, false, fence)) return;
    let path = m.path;
    if (NEVER_FILE_LANGS.has(fence.lang)) path = null;
    // A path line above a shell fence is a heading for commands unless it names a script.
    if (path !== null && m.pathFromAbove && shell && !SHELL_EXT.test(path)) path = null;
    if (path === null && !shell && !NEVER_FILE_LANGS.has(fence.lang)) path = pathComment(text);
    if (path === null) {
      if (!commandLine(text, out, commands, fence) && text.trim() !== '') pathAbove = pathAlone(text);
      return;
    }
    mode = { kind: 'prose' };
    const b = openBlock('fence', path, { delim: '', ticks: fence.ticks, strip: fence.indent, fenceTicks: 0 }, out);
    inside(b, rawHadNewline ? `${raw}\n` : raw, 0, out);
  }

  function content(b: OpenBlock, text: string, out: ParserItem[]): void {
    if (text === '' || !b.keep) return;
    b.parts.push(text);
    out.push({ type: 'file_chunk', path: b.path, chunk: text });
  }

  /** Could `s` (the start of a line) still grow into this block's closing line? */
  function mayClose(b: OpenBlock, s: string): boolean {
    const i = skipBlank(s, 0);
    if (b.kind === 'heredoc') {
      if (!hasPrefix(s, i, b.delim)) return false;
      for (let j = i + b.delim.length; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c !== 32 && c !== 9 && c !== 13) return false;
      }
      return true;
    }
    let j = i;
    while (j < s.length && s.charCodeAt(j) === 96) j++;
    if (j < s.length && j - i < b.ticks) return false;
    return skipBlank(s, j) === s.length || (s.charCodeAt(s.length - 1) === 13 && skipBlank(s, j) === s.length - 1);
  }

  function closes(b: OpenBlock, line: string): boolean {
    if (b.kind === 'fence') return isClosingFence(line.endsWith('\r') ? line.slice(0, -1) : line, b.ticks);
    const i = skipBlank(line, 0);
    if (!line.startsWith(b.delim, i)) return false;
    for (let j = i + b.delim.length; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if (c !== 32 && c !== 9 && c !== 13) return false;
    }
    return true;
  }

  /** The first piece of a line: drop the fence's indentation and note whether to watch the line. */
  function lineStart(b: OpenBlock, s: string): string {
    let k = 0;
    while (k < b.strip && s.charCodeAt(k) === 32) k++;
    const text = k === 0 ? s : s.slice(k);
    const i = skipBlank(text, 0);
    const watch = (b.checkPlaceholders && b.placeholder === null && placeholderStart(text, i)) || headerStart(text, i);
    b.watched = watch ? '' : null;
    b.watchSure = false;
    return text;
  }

  function watch(b: OpenBlock, text: string): void {
    if (b.watched === null) return;
    const w = b.watched + text;
    b.watched = w;
    if (b.watchSure) return;
    // Decided on a line's first character or two; once its first five are known, decide again.
    const i = skipBlank(w, 0);
    if (w.length - i < 5) return;
    b.watchSure = true;
    if (!((b.checkPlaceholders && b.placeholder === null && placeholderStart(w, i)) || headerStart(w, i))) b.watched = null;
  }

  /**
   * The current content line is complete. A heredoc whose model forgot the end marker is cut
   * short here, so the files after it survive: at the next header with the same marker (bash
   * itself could never nest those), or when the code fence around it closes.
   */
  function lineDone(b: OpenBlock, out: ParserItem[]): void {
    const w0 = b.watched;
    b.watched = null;
    b.line++;
    if (w0 === null) return;
    const w = w0.replace(/\r?\n?$/, '');
    if (!headerStart(w, skipBlank(w, 0))) {
      if (b.checkPlaceholders && b.placeholder === null && isPlaceholder(w))
        b.placeholder = { excerpt: w.trim().slice(0, 120), line: b.line - 1 };
      return;
    }
    const header = HEADER.exec(w) ?? HEADER_REVERSED.exec(w);
    if (b.kind === 'heredoc' && header?.groups?.delim === b.delim) {
      if (b.keep) out.push(incomplete(b.path, 'heredoc', b.delim, 0, 'the next file began'));
      block = null;
      openHeredoc(header.groups, b.fenceTicks > 0 ? { ticks: b.fenceTicks, indent: b.strip, lang: '', path: null } : null, out);
      return;
    }
    if (b.kind === 'heredoc' && b.fenceTicks > 0) {
      if (isClosingFence(w, b.fenceTicks)) {
        if (b.depth > 0) b.depth--;
        else {
          if (b.keep) out.push(incomplete(b.path, 'heredoc', b.delim, 0, 'the code block around it closed'));
          block = null;
          mode = { kind: 'prose' };
          return;
        }
      } else if (parseFence(w)?.lang || parseFence(w)?.path) b.depth++;
    }
    if (header || parseFence(w)?.path) b.swallowed++;
  }

  function closeBlock(b: OpenBlock, out: ParserItem[]): void {
    if (b.keep && b.placeholder) {
      out.push({
        type: 'error',
        code: 'placeholder',
        message: `"${b.path}" was not saved: line ${b.placeholder.line} is a placeholder (\`${b.placeholder.excerpt}\`) instead of the full code. Send the complete file, every line of it, with nothing left out.`,
        path: b.path,
        excerpt: b.placeholder.excerpt,
        line: b.placeholder.line,
      });
    } else if (b.keep) out.push({ type: 'file_end', path: b.path, content: b.parts.join('') });
    block = null;
    pathAbove = null;
  }

  /** Feeds text inside a block; returns how much of `s` from `from` was consumed before the block closed. */
  function inside(b: OpenBlock, s: string, from: number, out: ParserItem[]): number {
    let i = from;
    while (i < s.length) {
      const nl = s.indexOf('\n', i);
      if (b.lineIsContent) {
        // The line is known content: pass it straight through up to its end.
        const end = nl === -1 ? s.length : nl + 1;
        const text = s.slice(i, end);
        content(b, text, out);
        if (b.watched !== null) watch(b, text);
        i = end;
        if (nl !== -1) {
          b.lineIsContent = false;
          if (b.watched === null) b.line++;
          else {
            lineDone(b, out);
            if (block !== b) return i;
          }
        }
        continue;
      }
      if (nl === -1) {
        const candidate = b.pending + s.slice(i);
        if (mayClose(b, candidate)) {
          b.pending = candidate;
        } else {
          const text = lineStart(b, candidate);
          content(b, text, out);
          watch(b, text);
          b.pending = '';
          b.lineIsContent = true;
        }
        return s.length;
      }
      let text: string;
      if (b.pending === '') {
        // Most content lines arrive whole: one chunk for the line and its terminator, sliced once.
        if (s.charCodeAt(skipBlank(s, i)) === b.closeChar && closes(b, s.slice(i, nl))) {
          closeBlock(b, out);
          return nl + 1;
        }
        text = lineStart(b, s.slice(i, nl + 1));
      } else {
        const line = b.pending + s.slice(i, nl);
        b.pending = '';
        if (line.charCodeAt(skipBlank(line, 0)) === b.closeChar && closes(b, line)) {
          closeBlock(b, out);
          return nl + 1;
        }
        text = `${lineStart(b, line)}\n`;
      }
      content(b, text, out);
      i = nl + 1;
      if (b.watched === null) b.line++;
      else {
        watch(b, text);
        lineDone(b, out);
        if (block !== b) return i;
      }
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

  function incomplete(path: string, kind: OpenBlock['kind'], expected: string, swallowed: number, until = 'the answer ended'): ParserItem {
    const what =
      kind === 'heredoc'
        ? `no end marker line (${expected} alone on its line) came after its content`
        : `its code block was never closed (no ${expected} line after the code)`;
    const lost =
      swallowed > 0
        ? `; the rest of the answer was read as its content, so ${swallowed} later file${swallowed === 1 ? ' was' : 's were'} lost with it`
        : '';
    return {
      type: 'error',
      code: 'file_incomplete',
      message: `"${path}" was not saved: ${what} before ${until}${lost}. Send the whole file again.`,
      path,
      expected,
    };
  }

  function end(): ParserItem[] {
    const out: ParserItem[] = [];
    if (block === null && outside !== '') {
      const line = outside;
      outside = '';
      rawHadNewline = false;
      outsideLine(line, out);
      rawHadNewline = true;
    }
    const b: OpenBlock | null = block;
    if (b !== null) {
      if (b.pending !== '' && closes(b, b.pending)) closeBlock(b, out);
      else {
        if (b.keep) out.push(incomplete(b.path, b.kind, b.kind === 'heredoc' ? b.delim : '`'.repeat(b.ticks), b.swallowed));
        block = null;
      }
    } else if (mode.kind === 'edit') {
      if (mode.edit.keep) out.push(editIncomplete(mode.edit, 'the answer ended'));
    } else if (mode.kind === 'fence_head' && mode.path !== null) {
      // A fence that named a file and ended before its first line.
      const path = checkProjectPath(mode.path);
      if (path.ok) out.push(incomplete(path.path, 'fence', '`'.repeat(mode.fence.ticks), 0));
    }
    mode = { kind: 'prose' };
    return out;
  }

  return { push, end };
}

/** Parses a whole response at once (tests, the offline model's self-check). */
export function parseHeredoc(text: string): ParserItem[] {
  const p = createHeredocParser();
  return [...p.push(text), ...p.end()];
}
