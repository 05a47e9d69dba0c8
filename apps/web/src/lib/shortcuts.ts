/** The IDE's keyboard shortcuts: one table for the key handler and the help dialog. */
export type ShortcutAction = 'quickOpen' | 'send' | 'stop' | 'toggleChat' | 'toggleLogs' | 'toggleTerminal' | 'help' | 'tab';

export interface Shortcut {
  action: ShortcutAction;
  /** As shown in the help dialog; `Mod` is Ctrl (Cmd on a Mac). */
  keys: string;
  label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'quickOpen', keys: 'Mod+P', label: 'Open a file by name' },
  { action: 'send', keys: 'Mod+Enter', label: 'Send the chat message (from anywhere)' },
  { action: 'stop', keys: 'Esc', label: 'Stop the agent while it is working (outside the editor and terminal)' },
  { action: 'toggleChat', keys: 'Mod+B', label: 'Show or hide the chat (narrow screens: go to Chat)' },
  { action: 'toggleLogs', keys: 'Mod+J', label: 'Show or hide the logs (narrow screens: go to Logs)' },
  { action: 'toggleTerminal', keys: 'Mod+`', label: 'Open or close the terminal' },
  { action: 'tab', keys: 'Alt+1 … Alt+4', label: 'Narrow screens: Chat, Code, Preview, Logs' },
  { action: 'help', keys: '?', label: 'This list (outside text fields)' },
];

export interface KeyLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Where the key was pressed: shells and editors keep their own keys. */
export interface KeyPlace {
  inTerminal: boolean;
  inEditor: boolean;
  inTextField: boolean;
  inDialog: boolean;
}

export type Matched = { action: Exclude<ShortcutAction, 'tab'> } | { action: 'tab'; index: number } | null;

/** Which shortcut a key press is, given where it happened; null for none. */
export function matchShortcut(e: KeyLike, place: KeyPlace, mac: boolean): Matched {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  if (place.inDialog) return null;
  if (mod && !e.altKey && e.code === 'Backquote') return { action: 'toggleTerminal' };
  // Ctrl+P, Ctrl+B, Ctrl+J and Esc mean something to a shell: the terminal keeps them.
  if (place.inTerminal) return null;
  if (mod && !e.altKey && !e.shiftKey) {
    if (e.code === 'KeyP') return { action: 'quickOpen' };
    if (e.code === 'KeyB') return { action: 'toggleChat' };
    if (e.code === 'KeyJ') return { action: 'toggleLogs' };
    if (e.key === 'Enter') return { action: 'send' };
  }
  if (e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-4]$/.test(e.code)) return { action: 'tab', index: Number(e.code.slice(5)) - 1 };
  if (e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey && !place.inEditor) return { action: 'stop' };
  if (e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey && !place.inTextField && !place.inEditor) return { action: 'help' };
  return null;
}

/** Files matching a quick-open query: every character in order, names matching by their file name first. */
export function quickOpenMatches(paths: readonly string[], query: string, limit = 50): string[] {
  const q = query.trim().toLowerCase();
  if (q === '') return paths.slice(0, limit);
  const scored: { path: string; score: number }[] = [];
  for (const path of paths) {
    const lower = path.toLowerCase();
    let at = 0;
    let gaps = 0;
    let ok = true;
    for (const ch of q) {
      const found = lower.indexOf(ch, at);
      if (found < 0) {
        ok = false;
        break;
      }
      gaps += found - at;
      at = found + 1;
    }
    if (!ok) continue;
    const name = lower.slice(lower.lastIndexOf('/') + 1);
    scored.push({ path, score: (name.includes(q) ? 0 : 1000) + (lower.includes(q) ? 0 : 100) + gaps + path.length / 100 });
  }
  return scored
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map((s) => s.path);
}
