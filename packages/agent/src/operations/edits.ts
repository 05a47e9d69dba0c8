/**
 * Search/replace edits, applied strictly: the SEARCH text must occur exactly once; failing that,
 * once when each line is compared without its surrounding whitespace (models often get
 * indentation wrong), and the REPLACE lines are then re-indented by the same offset. Anything
 * else is refused with a reason the model can act on (it then sends the whole file).
 */

export type EditResult = { ok: true; content: string; tolerant: boolean } | { ok: false; reason: string };

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0] ?? '';

export function applyEdit(path: string, current: string | null, search: string, replace: string): EditResult {
  if (current === null) {
    if (search.trim() === '') return { ok: true, content: replace, tolerant: false };
    return { ok: false, reason: `${path} does not exist, so its SEARCH text cannot be found; send the whole file` };
  }
  if (search.trim() === '')
    return { ok: false, reason: `the edit for ${path} has an empty SEARCH; send the whole file or quote the lines to change` };
  const exact = count(current, search);
  if (exact === 1) return { ok: true, content: current.replace(search, () => replace), tolerant: false };
  if (exact > 1)
    return {
      ok: false,
      reason: `the SEARCH text occurs ${exact} times in ${path}; include more surrounding lines so it is unique, or send the whole file`,
    };

  // Line by line, ignoring surrounding whitespace and a missing final newline.
  const lines = current.split('\n');
  const want = search.replace(/\n$/, '').split('\n');
  const matches: number[] = [];
  for (let i = 0; i + want.length <= lines.length; i++) {
    if (want.every((w, j) => (lines[i + j] ?? '').trim() === w.trim())) matches.push(i);
  }
  if (matches.length !== 1) {
    return {
      ok: false,
      reason:
        matches.length === 0
          ? `the SEARCH text was not found in ${path} (it must match the current file exactly); send the whole file instead`
          : `the SEARCH text matches ${matches.length} places in ${path}; include more surrounding lines, or send the whole file`,
    };
  }
  const at = matches[0] as number;
  const have = indentOf(lines[at] ?? '');
  const had = indentOf(want[0] ?? '');
  const replaced = replace
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line.trim() === '' ? line : line.startsWith(had) ? have + line.slice(had.length) : line));
  const next = [...lines.slice(0, at), ...(replace === '' ? [] : replaced), ...lines.slice(at + want.length)];
  return { ok: true, content: next.join('\n'), tolerant: true };
}
