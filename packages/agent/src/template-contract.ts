/**
 * The react-vite template's contract with the model: files the dev server, the build and the
 * preview depend on are Lathe's, not the model's. Pure rules; the runner refuses such writes and
 * tells the model why (the prompts state the same rules up front).
 */

const PROTECTED: { test: (path: string) => boolean; reason: string }[] = [
  {
    test: (p) => /^vite\.config\.[cm]?[jt]s$/.test(p),
    reason: 'vite.config is managed by Lathe (plugins, dev server and preview settings are fixed)',
  },
  { test: (p) => p === 'index.html', reason: 'index.html is the fixed entry (it loads src/main.tsx); change src/App.tsx instead' },
  { test: (p) => p === 'src/main.tsx', reason: 'src/main.tsx mounts <App /> and is fixed; change src/App.tsx instead' },
  {
    test: (p) => /^tsconfig(\.[\w-]+)?\.json$/.test(p),
    reason: 'the TypeScript configuration is fixed (strict, bundler resolution, no path aliases)',
  },
  {
    test: (p) => /^(tailwind|postcss)\.config\.[cm]?[jt]s$/.test(p),
    reason: 'Tailwind v4 needs no config file: customise it with @theme in src/index.css',
  },
];

/** Why the model may not write this path, or null when it may. package.json is merged, not written (see the runner). */
export function protectedFileReason(path: string): string | null {
  return PROTECTED.find((p) => p.test(path))?.reason ?? null;
}
