import { Editor, loader, type OnMount } from '@monaco-editor/react';
import { shikiToMonaco } from '@shikijs/monaco';
import githubDark from '@shikijs/themes/github-dark-default';
import githubLight from '@shikijs/themes/github-light-default';
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import CssWorker from 'monaco-editor/language/css/css.worker?worker';
import HtmlWorker from 'monaco-editor/language/html/html.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import { useEffect, useRef } from 'react';
import { createHighlighterCore, type ThemeRegistration } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import { useTheme } from '../../lib/theme';

// Bundled Monaco and workers: nothing is fetched from a CDN.
self.MonacoEnvironment = {
  getWorker(_id, label) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (label === 'json') return new JsonWorker();
    if (label === 'css' || label === 'scss' || label === 'less') return new CssWorker();
    if (label === 'html') return new HtmlWorker();
    return new EditorWorker();
  },
};
loader.config({ monaco });

// The generated app is a React project, so type errors about unresolved modules are noise here.
monaco.typescript.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
monaco.typescript.typescriptDefaults.setCompilerOptions({ jsx: monaco.typescript.JsxEmit.ReactJSX, allowNonTsExtensions: true });

export const THEMES = { dark: 'github-dark-default', light: 'github-light-default' } as const;

/** GitHub's line numbers are too faint to read (under WCAG AA's 4.5:1); ours keep the contrast. */
function readableLineNumbers(theme: ThemeRegistration, color: string): ThemeRegistration {
  return {
    ...theme,
    colors: { ...theme.colors, 'editorLineNumber.foreground': color, 'editorLineNumber.dimmedForeground': color },
  };
}

// Monaco's own TS tokenizer leaves JSX uncoloured; shiki's TextMate grammars colour TSX properly.
export const highlighting = createHighlighterCore({
  themes: [readableLineNumbers(githubDark, '#8b949e'), readableLineNumbers(githubLight, '#656d76')],
  langs: [
    import('@shikijs/langs/tsx'),
    import('@shikijs/langs/typescript'),
    import('@shikijs/langs/javascript'),
    import('@shikijs/langs/jsx'),
    import('@shikijs/langs/json'),
    import('@shikijs/langs/css'),
    import('@shikijs/langs/html'),
    import('@shikijs/langs/markdown'),
  ],
  engine: createJavaScriptRegexEngine(),
}).then((highlighter) => {
  for (const id of ['tsx', 'typescript', 'javascript', 'jsx', 'json', 'css', 'html', 'markdown']) monaco.languages.register({ id });
  shikiToMonaco(highlighter, monaco as unknown as Parameters<typeof shikiToMonaco>[1]);
});

const LANGUAGE_BY_EXT: Record<string, string> = {
  tsx: 'tsx',
  ts: 'typescript',
  mts: 'typescript',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  json: 'json',
  css: 'css',
  html: 'html',
  md: 'markdown',
};

export function languageFor(path: string): string {
  return LANGUAGE_BY_EXT[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'plaintext';
}

export interface CodeEditorProps {
  path: string;
  value: string;
  /** False when `value` is only the echo of the user's own typing, which must never be written back. */
  external: boolean;
  readOnly: boolean;
  onChange: (value: string) => void;
  onSave: () => void;
}

/** One Monaco instance; each file keeps its own model (undo history, cursor) across tab switches. */
export default function CodeEditor({ path, value, external, readOnly, onChange, onSave }: CodeEditorProps) {
  const [theme] = useTheme();
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const onSaveRef = useRef(onSave);
  onSaveRef.current = onSave;

  // External text (the agent streaming, a reload) goes into the model without losing the view:
  // a pure append is applied as an edit at the end, so the user can scroll while text arrives.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path means a different model to sync
  useEffect(() => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    // A render can lag behind fast typing: writing that older echo back would eat keystrokes.
    if (!editor || !model || !external) return;
    const current = model.getValue();
    if (current === value) return;
    if (value.startsWith(current)) {
      const end = model.getFullModelRange().getEndPosition();
      model.applyEdits([
        { range: new monaco.Range(end.lineNumber, end.column, end.lineNumber, end.column), text: value.slice(current.length) },
      ]);
      if (readOnly) editor.revealLine(model.getLineCount());
    } else {
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text: value }], () => null);
    }
  }, [path, value, external, readOnly]);

  const onMount: OnMount = (editor) => {
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => onSaveRef.current());
    void highlighting.then(() => monaco.editor.setTheme(THEMES[theme]));
  };

  useEffect(() => {
    void highlighting.then(() => monaco.editor.setTheme(THEMES[theme]));
  }, [theme]);

  return (
    <Editor
      path={path}
      language={languageFor(path)}
      defaultValue={value}
      theme={THEMES[theme]}
      onMount={onMount}
      onChange={(v) => {
        if (!readOnly && v !== undefined && v !== value) onChange(v);
      }}
      options={{
        readOnly,
        // Tab indents inside the editor; say how to leave it by keyboard (Monaco's tab focus mode).
        ariaLabel: `${path}, code editor. Press Ctrl+M to make Tab move the focus`,
        readOnlyMessage: { value: 'Lathe is writing this file. You can edit it when it is done.' },
        fontSize: 13,
        fontFamily: 'JetBrains Mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontLigatures: true,
        minimap: { enabled: false },
        // Unused code is drawn faded, below the text contrast WCAG asks for; the squiggle stays.
        showUnused: false,
        scrollBeyondLastLine: false,
        smoothScrolling: true,
        automaticLayout: true,
        padding: { top: 12 },
        tabSize: 2,
        renderLineHighlight: 'gutter',
        bracketPairColorization: { enabled: true },
        stickyScroll: { enabled: false },
      }}
      loading={<div className="p-4 text-sm text-faint">Loading editor…</div>}
    />
  );
}
