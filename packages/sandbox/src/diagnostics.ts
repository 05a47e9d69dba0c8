import type { Diagnostic } from '@lathe/protocol';

export const DIAG_MARK = '__LATHE_DIAG__';

// `src/App.tsx(12,5): error TS2322: Type 'string' is not assignable to type 'number'.`
const TSC_LINE = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/;

/** Parses `tsc --noEmit --pretty false` output; continuation lines are appended to the previous message. */
export function parseTscOutput(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const m = TSC_LINE.exec(raw);
    if (m) {
      out.push({ source: 'tsc', file: m[1] ?? null, line: Number(m[2]), column: Number(m[3]), message: m[4] ?? '' });
    } else if (raw.startsWith('error TS')) {
      out.push({ source: 'tsc', file: null, line: null, column: null, message: raw.slice('error '.length) });
    } else if (raw.startsWith('  ') && out.length > 0) {
      const last = out[out.length - 1];
      if (last) last.message += `\n${raw.trim()}`;
    }
  }
  return out;
}

/** Reads one dev-server marker line (a Vite overlay or pre-transform error, or an error the page reported); undefined for other lines. */
export function parseDevMarker(line: string, projectRoot: string): Diagnostic | undefined {
  const at = line.indexOf(DIAG_MARK);
  if (at === -1) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(line.slice(at + DIAG_MARK.length));
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  const file = typeof d.file === 'string' ? relativeTo(d.file, projectRoot) : null;
  return {
    source: d.source === 'runtime' ? 'runtime' : 'vite',
    file,
    line: Number.isInteger(d.line) ? (d.line as number) : null,
    column: Number.isInteger(d.column) ? (d.column as number) : null,
    message: typeof d.message === 'string' ? runtimePrefix(d) + d.message : 'unknown Vite error',
  };
}

function relativeTo(file: string, root: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const clean = file.split('?')[0] ?? file;
  return clean.startsWith(prefix) ? clean.slice(prefix.length) : clean;
}

/** How a runtime report reads to the fixer: what kind of failure it was. */
function runtimePrefix(d: Record<string, unknown>): string {
  if (d.source !== 'runtime') return '';
  if (d.kind === 'console') return 'console.error in the browser: ';
  if (d.kind === 'load') return '';
  return 'Uncaught in the browser: ';
}
