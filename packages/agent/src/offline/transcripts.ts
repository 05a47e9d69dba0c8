import type { ScriptStep } from './scripted';

/** Ready-made scripts for the scripted model: adversarial and broken transcripts. */

export function phaseJson(paths: string[], name = 'Scripted'): string {
  return JSON.stringify({
    name,
    description: 'A scripted phase.',
    files: paths.map((path) => ({ path, purpose: 'scripted' })),
    installCommands: [],
    lastPhase: true,
  });
}

export function heredoc(path: string, content: string): string {
  return `cat > ${path} << 'EOF'\n${content}${content.endsWith('\n') || content === '' ? '' : '\n'}EOF\n`;
}

export const SAFE_APP = 'export default function App() {\n  return <h1>Safe</h1>;\n}\n';

/**
 * A phase whose design and implementation try to write outside the project (parent paths, an
 * absolute path, control characters, node_modules, a backslash) next to one legitimate file.
 */
export function pathAttackScript(absolutePath = '/tmp/lathe-path-attack.ts'): ScriptStep[] {
  return [
    { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx', '../escape.ts']) },
    {
      role: 'implementer',
      kind: 'reply',
      content: [
        heredoc('../escape.ts', 'x'),
        heredoc(absolutePath, 'x'),
        heredoc('src/a\u0001b.ts', 'x'),
        heredoc('node_modules/react/index.js', 'x'),
        heredoc('src\\win.ts', 'x'),
        heredoc('src/App.tsx', SAFE_APP),
      ].join(''),
    },
  ];
}

export const TYPE_ERROR_APP = 'export default function App() {\n  const count: number = "three";\n  return <h1>Count {count}</h1>;\n}\n';
export const TYPE_ERROR_FIXED_APP = 'export default function App() {\n  const count: number = 3;\n  return <h1>Count {count}</h1>;\n}\n';

/** A phase that writes a type error on line 2 of src/App.tsx, and a fixer answer that repairs it. */
export function typeErrorScript(): ScriptStep[] {
  return [
    { role: 'designer', kind: 'reply', content: phaseJson(['src/App.tsx']) },
    { role: 'implementer', kind: 'reply', content: heredoc('src/App.tsx', TYPE_ERROR_APP) },
    { role: 'fixer', kind: 'reply', content: `# Fixing the type error\n${heredoc('src/App.tsx', TYPE_ERROR_FIXED_APP)}` },
  ];
}
