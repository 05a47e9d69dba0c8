import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeredocParser, type ParserItem } from '../src/parser';

interface Parsed {
  files: Map<string, string>;
  /** file_chunk text per path, concatenated (what a client would show). */
  streamed: Map<string, string>;
  installs: string[][];
  errors: string[];
  starts: string[];
}

function collect(items: ParserItem[]): Parsed {
  const out: Parsed = { files: new Map(), streamed: new Map(), installs: [], errors: [], starts: [] };
  for (const i of items) {
    if (i.type === 'file_start') {
      out.starts.push(i.path);
      out.streamed.set(i.path, '');
    }
    if (i.type === 'file_chunk') out.streamed.set(i.path, (out.streamed.get(i.path) ?? '') + i.chunk);
    if (i.type === 'file_end') out.files.set(i.path, i.content);
    if (i.type === 'install') out.installs.push(i.packages);
    if (i.type === 'error') out.errors.push(i.code);
  }
  return out;
}

function parseSplit(text: string, cuts: number[]): Parsed {
  const p = createHeredocParser();
  const items: ParserItem[] = [];
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    items.push(...p.push(text.slice(at, c)));
    at = c;
  }
  items.push(...p.push(text.slice(at)), ...p.end());
  return collect(items);
}

const parse = (text: string) => parseSplit(text, []);

const TRANSCRIPT = [
  '# Phase 1: Core',
  "Here's the code:",
  '```bash',
  "cat > src/App.tsx << 'EOF'",
  'export default function App() {',
  '',
  '  return <h1>Héllo — 世界 🎉</h1>;',
  '}',
  'EOF',
  '```',
  'Some chatter between files.',
  "cat > src/windows.txt << 'EOF'\r",
  'line one\r',
  '\r',
  'line three\r',
  'EOF\r',
  "cat > src/empty.ts << 'EOF'",
  'EOF',
  'cat > "src/eof-lines.md" <<EOF',
  '  EOF',
  'EOF;',
  'echo EOF',
  'EOFX',
  '```',
  'EOF',
  'npm install zustand clsx@2.1.1',
  "cat > src/last.ts << 'END'",
  'export const last = 1;',
  'END',
].join('\n');

describe('heredoc parser: formats and adversarial cases', () => {
  const r = parse(TRANSCRIPT);

  it('keeps content byte-exact: blank lines, unicode, CRLF', () => {
    expect(r.files.get('src/App.tsx')).toBe('export default function App() {\n\n  return <h1>Héllo — 世界 🎉</h1>;\n}\n');
    expect(r.files.get('src/windows.txt')).toBe('line one\r\n\r\nline three\r\n');
  });

  it('an empty file is an empty string', () => {
    expect(r.files.get('src/empty.ts')).toBe('');
  });

  it('a line that merely contains the end marker is content (and code fences inside a block are content)', () => {
    expect(r.files.get('src/eof-lines.md')).toBe('  EOF\nEOF;\necho EOF\nEOFX\n```\n');
  });

  it('tolerates fences and chatter, captures npm install, honours other delimiters and a last line without newline', () => {
    expect([...r.files.keys()]).toEqual(['src/App.tsx', 'src/windows.txt', 'src/empty.ts', 'src/eof-lines.md', 'src/last.ts']);
    expect(r.installs).toEqual([['zustand', 'clsx@2.1.1']]);
    expect(r.files.get('src/last.ts')).toBe('export const last = 1;\n');
    expect(r.errors).toEqual([]);
  });

  it('streams the same bytes it finally reports', () => {
    for (const [path, content] of r.files) expect(r.streamed.get(path)).toBe(content);
  });

  it.each([
    ['/etc/passwd', 'absolute'],
    ['../outside.ts', 'parent'],
    ['src/../../x.ts', 'nested parent'],
    ['src/a\u0007b.ts', 'control character'],
    ['src\\win.ts', 'backslash'],
    ['node_modules/evil/index.js', 'node_modules'],
    ['.git/config', '.git'],
    ['~/x', 'home'],
  ])('refuses %s (%s) with an error and saves nothing, then carries on', (path) => {
    const out = parse(`cat > '${path}' << 'EOF'\nbad\nEOF\ncat > src/ok.ts << 'EOF'\nok\nEOF\n`);
    expect(out.errors).toEqual(['unsafe_path']);
    expect([...out.files.keys()]).toEqual(['src/ok.ts']);
    expect(out.starts).toEqual(['src/ok.ts']);
  });

  it('drops a block that never closes', () => {
    const out = parse("cat > src/a.ts << 'EOF'\nconst a = 1;\nEOF\ncat > src/b.ts << 'EOF'\nconst b = 2;\nEO");
    expect([...out.files.keys()]).toEqual(['src/a.ts']);
    expect(out.errors).toEqual(['file_incomplete']);
  });

  it('closes a block whose end marker is the very last text', () => {
    const out = parse("cat > src/a.ts << 'EOF'\nconst a = 1;\nEOF");
    expect(out.files.get('src/a.ts')).toBe('const a = 1;\n');
  });

  it('refuses unsafe package specs but keeps the good ones', () => {
    const out = parse('npm install react-icons git+https://evil/x.git ../local --save-dev\n');
    expect(out.installs).toEqual([['react-icons']]);
    expect(out.errors).toEqual(['unsafe_package', 'unsafe_package']);
  });

  it('normalises ./ paths and accepts the reversed header form', () => {
    const out = parse("cat > ./src/a.ts << 'EOF'\na\nEOF\ncat << 'EOF' > src/b.ts\nb\nEOF\n");
    expect([...out.files.keys()]).toEqual(['src/a.ts', 'src/b.ts']);
  });
});

describe('heredoc parser: properties', () => {
  it('any split of the same output yields the same files, installs and streamed bytes', () => {
    const whole = parse(TRANSCRIPT);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: TRANSCRIPT.length }), { maxLength: 40 }), (cuts) => {
        const split = parseSplit(TRANSCRIPT, cuts);
        expect(split.files).toEqual(whole.files);
        expect(split.streamed).toEqual(whole.streamed);
        expect(split.installs).toEqual(whole.installs);
        expect(split.errors).toEqual(whole.errors);
      }),
      { numRuns: 500 },
    );
  });

  const line = fc
    .tuple(
      fc.string({ unit: fc.constantFrom('a', 'E', 'O', 'F', ' ', '\r', '`', 'é', '世', '🎉', '{', '\t', '#'), maxLength: 12 }),
      fc.constantFrom('\n', '\r\n'),
    )
    .filter(([text]) => text !== 'EOF' && text !== 'EOF\r' && !text.endsWith('\r'))
    .map(([text, end]) => text + end);
  const file = fc.record({
    name: fc.stringMatching(/^[a-z]{1,8}$/),
    content: fc.array(line, { maxLength: 12 }).map((ls) => ls.join('')),
  });

  it('any generated files round-trip byte-exact through any split', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (files, rawCuts) => {
          const text = files.map((f) => `chatter about ${f.name}\ncat > src/${f.name}.ts << 'EOF'\n${f.content}EOF\n`).join('');
          const cuts = rawCuts.map((c) => (text.length === 0 ? 0 : c % text.length));
          const out = parseSplit(text, cuts);
          expect(out.files).toEqual(new Map(files.map((f) => [`src/${f.name}.ts`, f.content])));
          for (const f of files) expect(out.streamed.get(`src/${f.name}.ts`)).toBe(f.content);
        },
      ),
      { numRuns: 500 },
    );
  });
});
