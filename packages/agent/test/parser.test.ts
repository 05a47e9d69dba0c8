import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/offline/apps';
import { createHeredocParser, type ParserItem, parseHeredoc } from '../src/parser';
import { EDIT_ANSWERS, MODEL_ANSWERS } from './fixtures/model-answers';

interface Parsed {
  files: Map<string, string>;
  /** file_chunk text per path, concatenated (what a client would show). */
  streamed: Map<string, string>;
  installs: string[][];
  errors: string[];
  starts: string[];
  /** Every item but file_chunk, whole (chunk boundaries may only change how content is sliced). */
  items: ParserItem[];
}

function collect(items: ParserItem[]): Parsed {
  const out: Parsed = { files: new Map(), streamed: new Map(), installs: [], errors: [], starts: [], items: [] };
  for (const i of items) {
    if (i.type !== 'file_chunk') out.items.push(i);
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
  'EOF_MARKER',
  'xEOF',
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
    expect(r.files.get('src/eof-lines.md')).toBe('EOF_MARKER\nxEOF\nEOF;\necho EOF\nEOFX\n```\n');
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

const errorsOf = (text: string) => parseHeredoc(text).flatMap((i) => (i.type === 'error' ? [i] : []));

describe('tolerant forms: end markers', () => {
  it.each([
    ['trailing spaces', 'EOF  '],
    ['a trailing tab', 'EOF\t'],
    ['indentation', '  EOF'],
    ['a tab indent', '\tEOF'],
    ['CRLF', 'EOF\r'],
    ['indentation, spaces and CR', '   EOF \r'],
  ])('a marker with %s closes its block and the next file is saved', (_, marker) => {
    const out = parse(`cat > src/a.ts << 'EOF'\nconst a = 1;\n${marker}\ncat > src/b.ts << 'EOF'\nb\nEOF\n`);
    expect([...out.files]).toEqual([
      ['src/a.ts', 'const a = 1;\n'],
      ['src/b.ts', 'b\n'],
    ]);
    expect(out.errors).toEqual([]);
  });

  it('a longer line holding the marker stays content', () => {
    const lines = ['EOF_MARKER', 'xEOF', 'EOF;', 'EOF EOF', '  EOF.', 'const EOF = 1;', '`EOF`'];
    const out = parse(`cat > src/a.ts << 'EOF'\n${lines.join('\n')}\nEOF\n`);
    expect(out.files.get('src/a.ts')).toBe(`${lines.join('\n')}\n`);
  });

  it('closes on a trailing-space marker that is the very last text', () => {
    expect(parse("cat > src/a.ts << 'EOF'\na\n  EOF \r").files.get('src/a.ts')).toBe('a\n');
  });

  it('accepts `mkdir -p dir && ` (and a `$ ` prompt) before the header', () => {
    const out = parse(
      [
        "mkdir -p src/components && cat > src/components/A.tsx << 'EOF'",
        'a',
        'EOF',
        '$ mkdir -p "src/lib" src/x && cat << "EOF" > src/lib/b.ts',
        'b',
        'EOF',
        "echo hi && cat > src/c.ts << 'EOF'",
        'not a file',
        'EOF',
      ].join('\n'),
    );
    expect([...out.files]).toEqual([
      ['src/components/A.tsx', 'a\n'],
      ['src/lib/b.ts', 'b\n'],
    ]);
  });
});

describe('tolerant forms: fenced code blocks', () => {
  const CODE = 'export const x = 1;\n\n  // indented\n';

  it.each([
    ['```tsx src/App.tsx'],
    ['```src/App.tsx'],
    ['```tsx title="src/App.tsx"'],
    ["```tsx filename='src/App.tsx'"],
    ['```tsx:src/App.tsx'],
    ['````tsx src/App.tsx'],
  ])('a path on the fence line: %s', (fence) => {
    const ticks = fence.startsWith('````') ? '````' : '```';
    const out = parse(`Here you go:\n${fence}\n${CODE}${ticks}\nDone.\n`);
    expect([...out.files]).toEqual([['src/App.tsx', CODE]]);
    expect(out.streamed.get('src/App.tsx')).toBe(CODE);
  });

  it.each([
    ['src/App.tsx'],
    ['**src/App.tsx**'],
    ['`src/App.tsx`'],
    ['// src/App.tsx'],
    ['### src/App.tsx'],
    ['### 2. `src/App.tsx`'],
    ['File: src/App.tsx'],
    ['**File: `src/App.tsx`**'],
    ['**File:** `src/App.tsx`'],
    ['`src/App.tsx`:'],
    ['- **src/App.tsx** (new file)'],
  ])('a path alone on the line above the fence: %s', (above) => {
    for (const gap of ['\n', '\n\n']) {
      const out = parse(`Some intro.\n${above}${gap}\`\`\`tsx\n${CODE}\`\`\`\n`);
      expect([...out.files]).toEqual([['src/App.tsx', CODE]]);
    }
  });

  it.each([
    ['### `src/types.ts`\nThis file defines the shared types.\n'],
    ['**src/types.ts**\n\nThe types every component shares.\n\n'],
    ['2. **src/types.ts** (new file)\nShared types.\nUsed by the list and the form:\n'],
  ])('a file heading with a sentence or two before its fence (as chat models write): %j', (head) => {
    const types = 'export interface Todo {\n  id: number;\n}\n';
    const out = parse(`Here are the files.\n\n${head}\`\`\`ts\n${types}\`\`\`\n`);
    expect([...out.files]).toEqual([['src/types.ts', types]]);
  });

  it.each([
    ['plain code shown as an example', 'Here is how you use it:\n```tsx\n<App />\n```\n'],
    ['a sentence naming the file above', 'Now update `src/App.tsx` with the new route:\n```tsx\nconst x = 1;\n```\n'],
    ['a product name as the heading', '### Node.js\n```js\nconsole.log(1);\n```\n'],
    ['a diff', '**src/App.tsx**\n```diff\n- a\n+ b\n```\n'],
    ['a shell fence under a path heading', '### src/App.tsx\n```bash\nnpm run dev\n```\n'],
    ['an empty fence', '**src/App.tsx**\n```tsx\n```\n'],
    [
      'a path with a paragraph between it and the fence',
      '`src/App.tsx`\nThis is the main file.\nIt renders the list.\nIt also keeps the filter.\n```tsx\nx\n```\n',
    ],
  ])('saves nothing for %s', (_, text) => {
    const out = parse(text);
    expect(out.files.size).toBe(0);
    expect(out.starts).toEqual([]);
    expect(out.errors).toEqual([]);
  });

  it('a comment naming the file on the first line of a fence is its path (and stays content)', () => {
    const out = parse('```tsx\n// src/App.tsx\nexport {};\n```\n```css\n/* src/index.css */\nbody {}\n```\n');
    expect([...out.files]).toEqual([
      ['src/App.tsx', '// src/App.tsx\nexport {};\n'],
      ['src/index.css', '/* src/index.css */\nbody {}\n'],
    ]);
  });

  it('a fence indented in a list loses that indentation, nothing more', () => {
    const out = parse('1. The app:\n   ```tsx src/App.tsx\n   const a = 1;\n     nested;\n\n   ```\n');
    expect(out.files.get('src/App.tsx')).toBe('const a = 1;\n  nested;\n\n');
  });

  it('closes at an indented fence with trailing spaces, not at a shorter or labelled one', () => {
    const out = parse('````md README.md\n# Title\n```bash\nnpm run dev\n```\n  ````  \n');
    expect(out.files.get('README.md')).toBe('# Title\n```bash\nnpm run dev\n```\n');
  });

  it('a heredoc inside a shell fence stays a heredoc, even under a path heading', () => {
    const out = parse(
      [
        '### src/App.tsx',
        '```bash',
        "cat > src/App.tsx << 'EOF'",
        'export default 1;',
        'EOF',
        'npm install zustand',
        '```',
        '```sh',
        "cat > src/b.ts << 'EOF'",
        'b',
        'EOF',
        '```',
      ].join('\n'),
    );
    expect([...out.files]).toEqual([
      ['src/App.tsx', 'export default 1;\n'],
      ['src/b.ts', 'b\n'],
    ]);
    expect(out.installs).toEqual([['zustand']]);
  });

  it('a shell script named on its fence is a file, even when it starts with an install line', () => {
    const script = 'npm install zustand\nnpm run build\n';
    const out = parse(`\`\`\`bash scripts/setup.sh\n${script}\`\`\`\n**scripts/b.sh**\n\`\`\`sh\n${script}\`\`\`\n`);
    expect([...out.files]).toEqual([
      ['scripts/setup.sh', script],
      ['scripts/b.sh', script],
    ]);
    expect(out.installs).toEqual([]);
  });

  it('a fence opened inside a heredoc is content', () => {
    const md = '# Demo\n\n```tsx src/Other.tsx\nconst other = 1;\n```\n\n```bash\nnpm run dev\n```\n';
    const out = parse(`\`\`\`bash\ncat > README.md << 'EOF'\n${md}EOF\n\`\`\`\n`);
    expect([...out.files]).toEqual([['README.md', md]]);
  });

  it('a fence naming an unsafe path is refused, its content dropped, and the answer carries on', () => {
    const out = parse('```ts ../x.ts\nbad\n```\n**/etc/cron.d/x.sh**\n```\nroot\n```\n```ts src/ok.ts\nok\n```\n');
    expect(out.errors).toEqual(['unsafe_path', 'unsafe_path']);
    expect([...out.files]).toEqual([['src/ok.ts', 'ok\n']]);
  });

  it('skips <think> blocks, drafts and all', () => {
    const out = parse(
      "<think>\nMaybe:\ncat > src/draft.ts << 'EOF'\nx\nEOF\nnpm install lodash\n```tsx src/d.tsx\ny\n```\n</think>\nnpm install clsx\n<think>short</think>\n```ts src/a.ts\na\n```\n",
    );
    expect([...out.files]).toEqual([['src/a.ts', 'a\n']]);
    expect(out.installs).toEqual([['clsx']]);
  });
});

describe('placeholders instead of code', () => {
  it.each([
    '// ... rest of the code unchanged',
    '  // ...existing code...',
    '/* existing code */',
    '{/* ... */}',
    '      {/* ...other items */}',
    '// rest of the file stays the same',
    '// Rest of the component',
    '// ... (keep existing imports)',
    '...',
    '  …',
    '// ...',
    '/* ... */',
    '// other functions unchanged',
    '// code omitted for brevity',
    '<!-- ... -->',
    '// keep existing routes',
  ])('refuses a file holding %j, says so, and never saves it', (line) => {
    const text = `cat > src/a.tsx << 'EOF'\nimport x from 'y';\n${line}\nexport default x;\nEOF\n`;
    const out = parse(text);
    expect(out.files.size).toBe(0);
    expect(out.errors).toEqual(['placeholder']);
    const [error] = errorsOf(text);
    expect(error).toMatchObject({ code: 'placeholder', path: 'src/a.tsx', line: 2, excerpt: line.trim() });
    expect(error?.message).toContain('placeholder');
    expect(error?.message).toContain(line.trim());
    expect(error?.message).toContain('complete file');
  });

  it('the same in a fenced file', () => {
    const out = parse('**src/App.tsx**\n```tsx\nexport default function App() {\n  // ... rest unchanged\n}\n```\n');
    expect(out.errors).toEqual(['placeholder']);
    expect(out.files.size).toBe(0);
  });

  it('spread syntax, ellipses in strings and text, and ordinary comments are code', () => {
    const code = [
      'const merged = { ...props, ...rest };',
      '  ...state,',
      '  ...existing',
      '<p>Loading...</p>',
      '{loading && "Saving…"}',
      '// Loading...',
      '// TODO: add more...',
      '// ...and only then render',
      '// return the todo unchanged',
      '// leave other todos unchanged: only the count moves',
      '// Existing todos are read from storage',
      '/* Existing brand colour */',
      '{/* Header */}',
      '/** Returns the rest of the list. */',
      '// Content-addressed file bodies per project, so phase snapshots share unchanged files.',
      "const dots = '...';",
      'fn(...args);',
      '',
    ].join('\n');
    const out = parse(`cat > src/a.tsx << 'EOF'\n${code}EOF\n`);
    expect(out.errors).toEqual([]);
    expect(out.files.get('src/a.tsx')).toBe(code);
  });

  it('real app code (every offline app, as heredocs and as fenced files) has no false placeholder', () => {
    for (const request of ['a todo app', 'a notes app', 'a counter', 'a calculator', 'a pomodoro timer', 'a kanban board', 'a blog']) {
      const files = buildApp(request).phases.flatMap((p) => p.files);
      const text = files.map((f) => `cat > ${f.path} << 'EOF'\n${f.content}EOF\n**${f.path}**\n\`\`\`tsx\n${f.content}\`\`\`\n`).join('');
      const out = parse(text);
      expect(out.errors).toEqual([]);
      expect(out.files).toEqual(new Map(files.map((f) => [f.path, f.content])));
    }
  });

  it('an ellipsis in prose files (markdown, text) is not a placeholder', () => {
    const out = parse("cat > README.md << 'EOF'\n# App\n...\n// ... rest\nEOF\n");
    expect(out.errors).toEqual([]);
    expect(out.files.get('README.md')).toBe('# App\n...\n// ... rest\n');
  });
});

describe('install commands', () => {
  it.each([
    ['npm install zustand react-hot-toast', ['zustand', 'react-hot-toast']],
    ['$ npm install zustand', ['zustand']],
    ['npm i -D @types/node', ['@types/node']],
    ['pnpm add clsx@2.1.1', ['clsx@2.1.1']],
    ['yarn add zustand', ['zustand']],
    ['bun add zustand', ['zustand']],
    ['npm install zustand && npm run dev', ['zustand']],
    ['cd app && npm install zustand', ['zustand']],
    ['`npm install zustand`', ['zustand']],
    ['npm install zustand # the store', ['zustand']],
  ])('%s alone on a line installs', (line, packages) => {
    expect(parse(`${line}\n`).installs).toEqual([packages]);
  });

  it.each([
    'npm install will pick these up',
    'Run npm install to get them',
    '`npm install zustand` adds the store.',
    'npm install react-router-dom then restart the server',
    'npm install zustand.',
    'npm install: installs what package.json lists',
    'npm install and you are done',
    'Then npm install zustand',
    'npm install Zustand',
    'npm run dev',
    'npm install',
  ])('%j is not an install', (line) => {
    const out = parse(`${line}\n`);
    expect(out.installs).toEqual([]);
    expect(out.errors).toEqual([]);
  });

  it('counts inside a shell or unlabelled fence, not inside a code example', () => {
    const out = parse('```bash\nnpm install zustand\n```\n```\nnpm install clsx\n```\n```tsx\nnpm install lodash\n```\n');
    expect(out.installs).toEqual([['zustand'], ['clsx']]);
  });
});

describe('blocks left open', () => {
  it.each([
    [
      'a heredoc',
      "cat > src/a.ts << 'EOF'\nconst a = 1;\n",
      'EOF',
      /no end marker line \(EOF alone on its line\).*before the answer ended/,
    ],
    ['a fence', '```ts src/a.ts\nconst a = 1;\n', '```', /code block was never closed \(no ``` line after the code\)/],
    ['a fence cut before its first line', '**src/a.ts**\n```ts\nconst a', '```', /never closed/],
  ])('%s is reported as file_incomplete, never saved', (_, text, expected, message) => {
    const out = parse(text);
    expect(out.files.size).toBe(0);
    const [error] = errorsOf(text);
    expect(error).toMatchObject({ code: 'file_incomplete', path: 'src/a.ts', expected });
    expect(error?.message).toMatch(message);
  });
});

describe('answers as real models write them', () => {
  it.each(MODEL_ANSWERS.map((a) => [a.name, a] as const))('%s', (_, answer) => {
    const out = parse(answer.text);
    expect(Object.fromEntries(out.files)).toEqual(answer.files);
    expect([...out.files.keys()]).toEqual(Object.keys(answer.files));
    expect(out.installs).toEqual(answer.installs);
    const errors = errorsOf(answer.text);
    expect(errors.map((e) => ({ code: e.code, path: e.path }))).toEqual(answer.errors.map((e) => ({ code: e.code, path: e.path })));
    answer.errors.forEach((e, k) => {
      if (e.message) expect(errors[k]?.message).toMatch(e.message);
    });
    for (const [path, content] of out.files) expect(out.streamed.get(path)).toBe(content);
  });
});

/** Every item but file_start and file_chunk. */
const itemsOf = (text: string) => parseHeredoc(text).filter((i) => i.type !== 'file_start' && i.type !== 'file_chunk');

describe('edits, deletes and renames as real models write them', () => {
  it.each(EDIT_ANSWERS.map((a) => [a.name, a] as const))('%s', (_, answer) => {
    expect(itemsOf(answer.text)).toMatchObject(answer.items);
  });

  it('an error names what the model must send again', () => {
    const [unclosed] = itemsOf(EDIT_ANSWERS.find((a) => a.name.includes('never closes'))?.text ?? '');
    expect(unclosed).toMatchObject({ code: 'edit_incomplete' });
    expect(unclosed?.type === 'error' && unclosed.message).toMatch(
      /"src\/App\.tsx" was not applied: no >>>>>>> REPLACE line came after its new lines before the answer ended\. Send the edit again/,
    );
  });
});

describe('edit blocks', () => {
  const edit = (path: string, search: string, replace: string) => ({ type: 'edit', path, search, replace });

  it.each([
    ['five-character markers', '<<<<< SEARCH', '=====', '>>>>> REPLACE'],
    ['nine-character markers', '<<<<<<<<< SEARCH', '=========', '>>>>>>>>> REPLACE'],
    ['lower case and spaces', '<<<<<<<  search', '=======', '>>>>>>>  replace'],
    ['trailing whitespace and CR', '<<<<<<< SEARCH \r', '======= \t', '>>>>>>> REPLACE  \r'],
    ['indentation', '  <<<<<<< SEARCH', '\t=======', '  >>>>>>> REPLACE'],
  ])('accepts %s', (_, open, divider, close) => {
    expect(itemsOf(`src/a.ts\n${open}\na\n${divider}\nb\n${close}\n`)).toEqual([edit('src/a.ts', 'a\n', 'b\n')]);
  });

  it.each([
    ['ten < characters', '<<<<<<<<<< SEARCH'],
    ['four < characters', '<<<< SEARCH'],
    ['another word', '<<<<<<< HEAD'],
    ['a sentence', 'Use <<<<<<< SEARCH blocks'],
  ])('a line with %s opens nothing', (_, line) => {
    expect(itemsOf(`src/a.ts\n${line}\na\n=======\nb\n>>>>>>> REPLACE\n`)).toEqual([]);
  });

  it('an empty search or replace is reported as it is, and a second ======= is a new line', () => {
    expect(
      itemsOf(
        '**src/a.ts**\n<<<<<<< SEARCH\n=======\nx\n=======\n>>>>>>> REPLACE\nsrc/b.ts\n<<<<<<< SEARCH\ny\n=======\n>>>>>>> REPLACE\n',
      ),
    ).toEqual([edit('src/a.ts', '', 'x\n=======\n'), edit('src/b.ts', 'y\n', '')]);
  });

  it.each([['`src/App.tsx`'], ['### src/App.tsx'], ['File: src/App.tsx'], ['// src/App.tsx'], ['- **src/App.tsx**']])(
    'the path line above may be %s, with a blank line between',
    (above) => {
      expect(itemsOf(`${above}\n\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n`)).toEqual([edit('src/App.tsx', 'a\n', 'b\n')]);
    },
  );

  it('a block with no path before it (nor an earlier edit) is refused, and the next path line starts over', () => {
    const out = itemsOf(
      'Change this:\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\nsrc/a.ts\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n',
    );
    expect(out).toMatchObject([{ type: 'error', code: 'edit_no_path' }, edit('src/a.ts', 'c\n', 'd\n')]);
    expect(out[0]?.type === 'error' && out[0].message).toMatch(/alone on the line above <<<<<<< SEARCH/);
  });

  it('a file written in between ends the last edit’s claim on blocks without a path', () => {
    const out = itemsOf(
      "src/a.ts\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\ncat > src/b.ts << 'EOF'\nb\nEOF\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n",
    );
    expect(out.map((i) => (i.type === 'error' ? i.code : i.type))).toEqual(['edit', 'file_end', 'edit_no_path']);
  });

  it.each([['../x.ts'], ['/etc/passwd.conf'], ['node_modules/a/index.js']])('refuses to edit %s and carries on', (path) => {
    const out = itemsOf(
      `${path}\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\nsrc/ok.ts\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n`,
    );
    expect(out).toMatchObject([{ type: 'error', code: 'unsafe_path', path }, edit('src/ok.ts', 'c\n', 'd\n')]);
  });

  it('markers inside a written file are its content', () => {
    const body = '<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n';
    expect(itemsOf(`cat > notes.txt << 'EOF'\n${body}EOF\n\`\`\`txt other.txt\nx\n${body}\`\`\`\n`)).toEqual([
      { type: 'file_end', path: 'notes.txt', content: body },
      { type: 'file_end', path: 'other.txt', content: `x\n${body}` },
    ]);
  });

  it('markers inside <think> are skipped', () => {
    expect(itemsOf('<think>\nsrc/a.ts\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</think>\n')).toEqual([]);
  });

  it('fences inside an edit are its content; only the fence around it ends it', () => {
    const md = '# App\n```bash\nnpm run dev\n```\n';
    expect(itemsOf(`\`\`\`\`md README.md\n<<<<<<< SEARCH\n${md}=======\n${md}\n\`\`\`\n>>>>>>> REPLACE\n\`\`\`\`\n`)).toEqual([
      edit('README.md', md, `${md}\n\`\`\`\n`),
    ]);
  });

  it('a block that lost its end gives way to the next block, which edits the path named above it', () => {
    const out = itemsOf('src/a.ts\n<<<<<<< SEARCH\na\n=======\nb\n\nsrc/b.ts\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n');
    expect(out).toMatchObject([{ type: 'error', code: 'edit_incomplete', path: 'src/a.ts' }, edit('src/b.ts', 'c\n', 'd\n')]);
    expect(out[0]?.type === 'error' && out[0].message).toMatch(/before the next edit block began/);
  });

  it('a block closed without its ======= line is reported', () => {
    expect(itemsOf('src/a.ts\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n')).toMatchObject([
      { type: 'error', code: 'edit_incomplete', path: 'src/a.ts', expected: '=======' },
    ]);
  });

  it('an unclosed block counts the files it swallowed', () => {
    const [error] = itemsOf("src/a.ts\n<<<<<<< SEARCH\na\ncat > src/b.ts << 'EOF'\nb\nEOF\n```ts src/c.ts\nc\n```\n");
    expect(error?.type === 'error' && error.message).toMatch(
      /no ======= line came after its SEARCH lines before the answer ended; .* 2 later files were lost/,
    );
  });

  it('a placeholder in the new lines is refused; one kept from the old lines is code', () => {
    const out = itemsOf(
      'src/a.tsx\n<<<<<<< SEARCH\nconst a = 1;\n=======\nconst a = 2;\n// ... rest of the code unchanged\n>>>>>>> REPLACE\n' +
        'src/b.tsx\n<<<<<<< SEARCH\n  {/* ... */}\n=======\n  {/* ... */}\n  <p />\n>>>>>>> REPLACE\n',
    );
    expect(out).toMatchObject([
      { type: 'error', code: 'placeholder', path: 'src/a.tsx', line: 2, excerpt: '// ... rest of the code unchanged' },
      edit('src/b.tsx', '  {/* ... */}\n', '  {/* ... */}\n  <p />\n'),
    ]);
    expect(out[0]?.type === 'error' && out[0].message).toMatch(
      /The edit to "src\/a\.tsx" was not applied: line 2 of its new lines is a placeholder/,
    );
  });
});

describe('delete and rename commands', () => {
  it.each([
    ['rm src/old.tsx', [{ type: 'delete', path: 'src/old.tsx' }]],
    ['rm -f src/old.tsx', [{ type: 'delete', path: 'src/old.tsx' }]],
    ['$ rm -rf src/components/old', [{ type: 'delete', path: 'src/components/old' }]],
    ['rm ./README.md', [{ type: 'delete', path: 'README.md' }]],
    ['git rm src/a.ts', [{ type: 'delete', path: 'src/a.ts' }]],
    ['mv src/a.tsx src/b.tsx', [{ type: 'rename', from: 'src/a.tsx', to: 'src/b.tsx' }]],
    ['mv -f src/a.tsx src/lib/', [{ type: 'rename', from: 'src/a.tsx', to: 'src/lib' }]],
    ['mkdir -p src/lib && mv src/a.ts src/lib/a.ts', [{ type: 'rename', from: 'src/a.ts', to: 'src/lib/a.ts' }]],
    ['`rm src/old.tsx`', [{ type: 'delete', path: 'src/old.tsx' }]],
  ])('%s alone on a line', (line, items) => {
    expect(itemsOf(`${line}\n`)).toEqual(items);
    expect(itemsOf(`\`\`\`bash\n${line}\n\`\`\`\n`)).toEqual(items);
  });

  it.each([
    'rm the old file',
    'mv it somewhere',
    'rm src/old.tsx.',
    'rm src/old.tsx, then restart',
    'Then rm src/old.tsx',
    'You can mv src/a.ts src/b.ts later',
    'mv src/a.ts',
    'mv src/a.ts src/b.ts src/lib/',
    'rm -rf',
    'rm -rf /',
    'rm src/*.tsx',
    'rm -rf node_modules',
  ])('%j is not a command', (line) => {
    expect(itemsOf(`${line}\n`)).toEqual([]);
  });

  it('is not a command inside a code example or a written file', () => {
    expect(itemsOf("```tsx\nrm src/a.ts\n```\ncat > src/s.sh << 'EOF'\nrm src/a.ts\nEOF\n")).toEqual([
      { type: 'file_end', path: 'src/s.sh', content: 'rm src/a.ts\n' },
    ]);
  });

  it.each([
    ['rm /etc/passwd', '/etc/passwd', /Refused to delete "\/etc\/passwd": path must be relative/],
    ['rm -rf ~/x', '~/x', /Refused to delete/],
    ['mv src/a.ts ../a.ts', '../a.ts', /Refused to rename "src\/a\.ts" to "\.\.\/a\.ts".*Nothing was moved/],
    ['mv .git/config src/a.ts', '.git/config', /Refused to rename/],
  ])('refuses %s', (line, path, message) => {
    const out = itemsOf(`${line}\n`);
    expect(out).toMatchObject([{ type: 'error', code: 'unsafe_path', path }]);
    expect(out[0]?.type === 'error' && out[0].message).toMatch(message);
  });
});

describe('heredoc parser: properties', () => {
  const cutsOf = (text: string) => fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 40 });

  it.each<[string, string]>([
    ['the adversarial transcript', TRANSCRIPT],
    ...[...MODEL_ANSWERS, ...EDIT_ANSWERS].map((a): [string, string] => [a.name, a.text]),
  ])('any split of %s yields the same items and streamed bytes', (_, text) => {
    const whole = parse(text);
    fc.assert(
      fc.property(cutsOf(text), (cuts) => {
        const split = parseSplit(text, cuts);
        expect(split.items).toEqual(whole.items);
        expect(split.streamed).toEqual(whole.streamed);
      }),
      { numRuns: 200 },
    );
  });

  // Content lines from characters that exercise every held-back or watched line start (end
  // markers, fences, comments, headers), but that cannot spell a placeholder or a header.
  const line = fc
    .tuple(
      fc.string({
        unit: fc.constantFrom(
          'a',
          'c',
          't',
          'm',
          'E',
          'O',
          'F',
          ' ',
          '\r',
          '`',
          '/',
          '*',
          '{',
          '}',
          '<',
          '!',
          '-',
          'é',
          '世',
          '🎉',
          '\t',
          '#',
        ),
        maxLength: 12,
      }),
      fc.constantFrom('\n', '\r\n'),
    )
    .filter(([text]) => {
      const bare = text.replace(/^[ \t]+|[ \t\r]+$/g, '');
      return bare !== 'EOF' && !/^`{3,}$/.test(bare) && !text.endsWith('\r');
    })
    .map(([text, end]) => text + end);
  const FORMS = [
    'heredoc',
    'heredoc-indented-marker',
    'mkdir-heredoc',
    'bash-fenced-heredoc',
    'fence-path',
    'fence-title',
    'path-above',
    'list-fence',
    'edit-prose',
    'edit-fence-path',
    'edit-path-above-fence',
    'edit-list-fence',
  ] as const;
  const file = fc.record({
    name: fc.stringMatching(/^[a-z]{1,8}$/),
    content: fc.array(line, { maxLength: 12 }).map((ls) => ls.join('')),
    form: fc.constantFrom(...FORMS),
  });

  function write(f: { name: string; content: string; form: (typeof FORMS)[number] }): string {
    const path = `src/${f.name}.ts`;
    switch (f.form) {
      case 'heredoc':
        return `chatter about ${f.name}\ncat > ${path} << 'EOF'\n${f.content}EOF\n`;
      case 'heredoc-indented-marker':
        return `cat > ${path} << 'EOF'\n${f.content}  EOF \n`;
      case 'mkdir-heredoc':
        return `mkdir -p src && cat > ${path} << 'EOF'\n${f.content}EOF\n`;
      case 'bash-fenced-heredoc':
        return `### ${path}\n\`\`\`bash\ncat > ${path} << 'EOF'\n${f.content}EOF\n\`\`\`\n`;
      case 'fence-path':
        return `Here:\n\`\`\`ts ${path}\n${f.content}\`\`\`\n`;
      case 'fence-title':
        return `\`\`\`ts title="${path}"\n${f.content}\`\`\`\n`;
      case 'path-above':
        return `**${path}**\n\n\`\`\`ts\n${f.content}\`\`\`\n`;
      case 'list-fence':
        return `1. The file:\n   \`\`\`ts ${path}\n${f.content
          .split(/(?<=\n)/)
          .map((l) => (l === '' ? l : `   ${l}`))
          .join('')}   \`\`\`\n`;
      // An edit's old lines are the content, its new lines the content and one more.
      case 'edit-prose':
        return `Change ${f.name}:\n\n${path}\n<<<<<<< SEARCH\n${f.content}=======\n${f.content}x\n>>>>>>> REPLACE\n`;
      case 'edit-fence-path':
        return `\`\`\`ts ${path}\n<<<<<<< SEARCH\n${f.content}=======\n${f.content}x\n>>>>>>> REPLACE\n\`\`\`\n`;
      case 'edit-path-above-fence':
        return `\`${path}\`\n\`\`\`ts\n<<<<<<< SEARCH\n${f.content}=======\n${f.content}x\n>>>>>>> REPLACE\n\`\`\`\n`;
      case 'edit-list-fence': {
        const body = `<<<<<<< SEARCH\n${f.content}=======\n${f.content}x\n>>>>>>> REPLACE\n`;
        return `1. Edit:\n   \`\`\`ts ${path}\n${body
          .split(/(?<=\n)/)
          .map((l) => `   ${l}`)
          .join('')}   \`\`\`\n`;
      }
    }
  }

  it('any generated files, in any form, round-trip byte-exact through any split', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (files, rawCuts) => {
          const text = files.map(write).join('');
          const cuts = rawCuts.map((c) => (text.length === 0 ? 0 : c % text.length));
          const out = parseSplit(text, cuts);
          // An empty fence saves nothing (it would only blank a file); an empty heredoc is an empty file.
          const saved = files.filter((f) => !f.form.startsWith('edit') && (f.content !== '' || f.form.includes('heredoc')));
          expect(out.files).toEqual(new Map(saved.map((f) => [`src/${f.name}.ts`, f.content])));
          expect(out.items.filter((i) => i.type === 'edit')).toEqual(
            files
              .filter((f) => f.form.startsWith('edit'))
              .map((f) => ({ type: 'edit', path: `src/${f.name}.ts`, search: f.content, replace: `${f.content}x\n` })),
          );
          for (const f of saved) expect(out.streamed.get(`src/${f.name}.ts`)).toBe(f.content);
          expect(out.errors).toEqual([]);
          expect(out.items).toEqual(parse(text).items);
        },
      ),
      { numRuns: 1000 },
    );
  });

  // Lines from every form, good and broken, in any order: whatever the parser makes of them, it
  // makes the same of them through any split.
  const TRICKY_LINES = [
    "cat > src/a.ts << 'EOF'",
    "mkdir -p src/b && cat > src/b/b.tsx << 'EOF'",
    'cat << "END" > src/c.ts',
    'EOF',
    '  EOF  ',
    'EOF\r',
    'EOF_MARKER',
    'END',
    '```',
    '   ```',
    '````',
    '```bash',
    '```tsx src/d.tsx',
    '```ts title="src/e.ts"',
    '```diff',
    '**src/f.tsx**',
    '// src/g.ts',
    '### `src/h.css`',
    '// ... rest of the code unchanged',
    '{/* ... */}',
    '...',
    '...props,',
    '<p>Loading...</p>',
    'npm install zustand',
    'npm install will pick these up',
    '<<<<<<< SEARCH',
    '<<<<< search',
    '=======',
    '>>>>>>> REPLACE',
    '>>>>>>>>> replace',
    'src/App.tsx',
    '`src/i.css`',
    'rm -f src/old.ts',
    '$ mv src/a.ts src/b.ts',
    'rm the old file',
    'mv ../x.ts src/x.ts',
    '$ pnpm add clsx && npm run dev',
    '<think>',
    '</think>',
    "cat > ../escape.ts << 'EOF'",
    '```ts /etc/x.ts',
    'const x = 1;',
    '',
    'Let me know if you need anything else!',
    '\tindented\r',
    'é世🎉',
  ];
  it('any mix of forms, broken ones included, gives the same items through any split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...TRICKY_LINES), { maxLength: 40 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        (lines, finalNewline, rawCuts) => {
          const text = lines.join('\n') + (finalNewline ? '\n' : '');
          const cuts = rawCuts.map((c) => (text.length === 0 ? 0 : c % (text.length + 1)));
          const whole = parse(text);
          const split = parseSplit(text, cuts);
          expect(split.items).toEqual(whole.items);
          expect(split.streamed).toEqual(whole.streamed);
          // One file at a time, and every started file ends exactly once: saved, or an error that names it.
          let open: string | null = null;
          for (const i of whole.items) {
            if (i.type === 'file_start') {
              expect(open).toBeNull();
              open = i.path;
            } else if (i.type === 'file_end' || (i.type === 'error' && (i.code === 'placeholder' || i.code === 'file_incomplete'))) {
              if (open !== null) expect(i.path).toBe(open);
              open = null;
            }
          }
          expect(open).toBeNull();
          for (const [path, content] of whole.files)
            if (whole.starts.filter((p) => p === path).length === 1) expect(whole.streamed.get(path)).toBe(content);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
