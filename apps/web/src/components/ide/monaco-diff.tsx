import { DiffEditor } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import { useEffect } from 'react';
import { useTheme } from '../../lib/theme';
// The code editor's module sets up Monaco (bundled workers, no CDN) and the TSX colours.
import { highlighting, languageFor, THEMES } from './monaco-editor';

export interface DiffViewProps {
  path: string;
  /** Version number of the left side. */
  seq: number;
  /** The file as the version holds it ('' when the version does not have it). */
  original: string;
  /** The file as it is now ('' when it is gone). */
  modified: string;
}

/** Read-only side-by-side diff of one file: a version (left) against the current file (right). */
export default function DiffView({ path, seq, original, modified }: DiffViewProps) {
  const [theme] = useTheme();
  useEffect(() => {
    void highlighting.then(() => monaco.editor.setTheme(THEMES[theme]));
  }, [theme]);
  return (
    <DiffEditor
      original={original}
      modified={modified}
      language={languageFor(path)}
      // Models of their own, so the diff never shares (or disposes) the code editor's model of the file.
      originalModelPath={`lathe-history/v${seq}/${path}`}
      modifiedModelPath={`lathe-history/current/${path}`}
      theme={THEMES[theme]}
      onMount={(editor) => {
        // The diff editor's own aria-label options do not reach its two inner editors.
        editor.getOriginalEditor().updateOptions({ ariaLabel: `${path} in version ${seq}, read only` });
        editor.getModifiedEditor().updateOptions({ ariaLabel: `${path} now, read only` });
      }}
      options={{
        readOnly: true,
        originalEditable: false,
        renderSideBySide: true,
        automaticLayout: true,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 13,
        fontFamily: 'JetBrains Mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        showUnused: false,
        stickyScroll: { enabled: false },
      }}
      loading={<div className="p-4 text-sm text-faint">Loading diff…</div>}
    />
  );
}
