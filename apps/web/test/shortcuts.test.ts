import { describe, expect, it } from 'vitest';
import { type KeyLike, type KeyPlace, matchShortcut, quickOpenMatches } from '../src/lib/shortcuts';
import { inputMessages } from '../src/lib/terminal-socket';

const key = (k: Partial<KeyLike>): KeyLike => ({ key: '', code: '', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...k });
const nowhere: KeyPlace = { inTerminal: false, inEditor: false, inTextField: false, inDialog: false };

describe('IDE shortcuts', () => {
  it('match Ctrl on Linux and Windows, Cmd on a Mac', () => {
    expect(matchShortcut(key({ key: 'p', code: 'KeyP', ctrlKey: true }), nowhere, false)).toEqual({ action: 'quickOpen' });
    expect(matchShortcut(key({ key: 'p', code: 'KeyP', metaKey: true }), nowhere, true)).toEqual({ action: 'quickOpen' });
    expect(matchShortcut(key({ key: 'p', code: 'KeyP', metaKey: true }), nowhere, false)).toBeNull();
    expect(matchShortcut(key({ key: 'Enter', code: 'Enter', ctrlKey: true }), { ...nowhere, inTextField: true }, false)).toEqual({
      action: 'send',
    });
    expect(matchShortcut(key({ key: '2', code: 'Digit2', altKey: true }), nowhere, false)).toEqual({ action: 'tab', index: 1 });
  });

  it('leave the terminal its keys (Ctrl+P, Esc…) except the terminal toggle, and the editor its Esc', () => {
    const terminal = { ...nowhere, inTerminal: true };
    expect(matchShortcut(key({ key: 'p', code: 'KeyP', ctrlKey: true }), terminal, false)).toBeNull();
    expect(matchShortcut(key({ key: 'Escape', code: 'Escape' }), terminal, false)).toBeNull();
    expect(matchShortcut(key({ key: '`', code: 'Backquote', ctrlKey: true }), terminal, false)).toEqual({ action: 'toggleTerminal' });
    expect(matchShortcut(key({ key: 'Escape', code: 'Escape' }), { ...nowhere, inEditor: true }, false)).toBeNull();
    expect(matchShortcut(key({ key: 'Escape', code: 'Escape' }), { ...nowhere, inTextField: true }, false)).toEqual({ action: 'stop' });
    expect(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true }), { ...nowhere, inTextField: true }, false)).toBeNull();
    expect(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true }), nowhere, false)).toEqual({ action: 'help' });
    expect(matchShortcut(key({ key: 'Escape', code: 'Escape' }), { ...nowhere, inDialog: true }, false)).toBeNull();
  });

  it('quick open ranks file-name matches first and keeps characters in order', () => {
    const paths = ['src/App.tsx', 'src/components/AppHeader.tsx', 'src/lib/storage.ts', 'package.json'];
    expect(quickOpenMatches(paths, 'app')[0]).toBe('src/App.tsx');
    expect(quickOpenMatches(paths, 'stor')).toEqual(['src/lib/storage.ts']);
    expect(quickOpenMatches(paths, 'xyz')).toEqual([]);
    expect(quickOpenMatches(paths, '')).toEqual(paths);
  });

  it('splits a large paste into messages the server accepts', () => {
    const messages = inputMessages('x'.repeat(64 * 1024 + 5));
    expect(messages.map((m) => (m.type === 'input' ? m.data.length : 0))).toEqual([64 * 1024, 5]);
  });
});
