import { describe, expect, it } from 'vitest';
import { applyEdit } from '../src/operations/edits';

const APP = 'export default function App() {\n  return (\n    <main>\n      <h1>Counter</h1>\n    </main>\n  );\n}\n';

describe('search/replace edits', () => {
  it('applies an exact, unique match', () => {
    const r = applyEdit('src/App.tsx', APP, '      <h1>Counter</h1>\n', '      <h1>Step Counter</h1>\n');
    expect(r).toEqual({ ok: true, content: APP.replace('Counter</h1>', 'Step Counter</h1>'), tolerant: false });
  });

  it('matches despite wrong indentation and re-indents the replacement', () => {
    const r = applyEdit('src/App.tsx', APP, '<main>\n  <h1>Counter</h1>\n</main>\n', '<main>\n  <h1>Counter</h1>\n  <p>0</p>\n</main>\n');
    expect(r.ok && r.tolerant).toBe(true);
    expect(r.ok && r.content).toBe(APP.replace('      <h1>Counter</h1>\n', '      <h1>Counter</h1>\n      <p>0</p>\n'));
  });

  it('refuses a missing, ambiguous or empty SEARCH with a reason the model can act on', () => {
    const missing = applyEdit('src/App.tsx', APP, '<h2>Nope</h2>\n', 'x\n');
    expect(missing).toEqual({ ok: false, reason: expect.stringMatching(/not found in src\/App\.tsx.*send the whole file/) });
    const twice = applyEdit('src/a.ts', 'a;\na;\n', 'a;\n', 'b;\n');
    expect(twice).toEqual({ ok: false, reason: expect.stringMatching(/occurs 2 times/) });
    expect(applyEdit('src/App.tsx', APP, '', 'x')).toEqual({ ok: false, reason: expect.stringMatching(/empty SEARCH/) });
  });

  it('creates a new file from an empty SEARCH, and refuses other edits to a missing file', () => {
    expect(applyEdit('src/new.ts', null, '', 'export const x = 1;\n')).toEqual({
      ok: true,
      content: 'export const x = 1;\n',
      tolerant: false,
    });
    expect(applyEdit('src/new.ts', null, 'x', 'y')).toMatchObject({ ok: false });
  });
});
