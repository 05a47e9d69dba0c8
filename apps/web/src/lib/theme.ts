import { useCallback, useSyncExternalStore } from 'react';

export type Theme = 'dark' | 'light';
const KEY = 'lathe-theme';

/** Runs before first paint (inlined in <head>) so a light-theme user never sees a dark flash. */
export const themeBootScript = `try{if(localStorage.getItem('${KEY}')==='light')document.documentElement.classList.remove('dark')}catch(e){}`;

const listeners = new Set<() => void>();

function current(): Theme {
  return document.documentElement.classList.contains('dark') ? 'dark' : 'light';
}

export function useTheme(): [Theme, () => void] {
  const theme = useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    current,
    () => 'dark' as const,
  );
  const toggle = useCallback(() => {
    const next: Theme = current() === 'dark' ? 'light' : 'dark';
    document.documentElement.classList.toggle('dark', next === 'dark');
    localStorage.setItem(KEY, next);
    for (const l of listeners) l();
  }, []);
  return [theme, toggle];
}
