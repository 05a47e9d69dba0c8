import { LIMITS } from '@lathe/protocol';

export type PathCheck = { ok: true; path: string } | { ok: false; code: 'invalid_path' | 'path_too_long'; message: string };

/** Directories a project may never write into: the shared dependency store and VCS metadata. */
const RESERVED_SEGMENTS = new Set(['node_modules', '.git']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Invisible format characters (bidi overrides and isolates, zero-width characters, the BOM, soft
 * hyphens), line and paragraph separators, and lone surrogates: they make a name display as
 * something it is not (`evil\u202Efdp.ts` reads as `evilst.pdf`), so no path may hold one.
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * Validates a project-relative path and returns its normal form (`./a//b` → `a/b`).
 * Pure, so the API and the agent's parser apply exactly the sandbox's rules. Symlinks are a
 * filesystem matter and are checked again by the sandbox at write time.
 */
export function checkProjectPath(p: string): PathCheck {
  if (typeof p !== 'string' || p.length === 0) return bad('path is empty');
  if (p.length > LIMITS.pathChars)
    return { ok: false, code: 'path_too_long', message: `path is longer than ${LIMITS.pathChars} characters` };
  if (CONTROL.test(p)) return bad('path contains a NUL or control character');
  const invisible = INVISIBLE.exec(p)?.[0];
  if (invisible !== undefined) {
    const code = (invisible.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return bad(`path contains an invisible or direction-changing character (U+${code}); rename it with visible characters only`);
  }
  if (p.includes('\\')) return bad('path contains a backslash; use forward slashes');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.startsWith('~')) return bad(`path must be relative: ${p}`);
  const segments: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') return bad(`path may not contain "..": ${p}`);
    if (s.length > 255) return bad('a path segment is longer than 255 characters');
    if (RESERVED_SEGMENTS.has(s)) return bad(`path may not touch ${s}: ${p}`);
    segments.push(s);
  }
  if (segments.length === 0) return bad('path names the project root');
  return { ok: true, path: segments.join('/') };
}

function bad(message: string): PathCheck {
  return { ok: false, code: 'invalid_path', message };
}
