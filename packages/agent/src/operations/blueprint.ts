import { type Blueprint, BlueprintSchema, check } from '@lathe/protocol';

/**
 * The blueprint: the product plan a new project's first design makes (title, description, visual
 * style, views and components, data model, a roadmap of 1–3 phases). It is asked for in the same
 * designer call as the first phase (one call, not two), stored in the agent's state, shown in the
 * IDE, and rendered into every later prompt. A follow-up revises it only when the scope changes.
 */

/** The part of the designer's instructions that asks for a blueprint. */
export const BLUEPRINT_REQUEST = [
  'This is a new project: first make its blueprint, then its first phase. Answer with ONE JSON object:',
  '{"blueprint": {"title": string, "description": string (one paragraph: what the product does and for whom),',
  ' "style": {"palette": [string] (3-6 colours as hex or Tailwind names, with their role), "typography": string, "layout": string},',
  ' "views": [{"name": string, "description": string}], "components": [string], "dataModel": string (entities, fields, where they persist),',
  ' "roadmap": [{"name": string, "description": string}] (1 to 3 phases; the first already gives a working app)},',
  ' "phase": <the first phase of the roadmap, in the phase schema above>}',
].join('\n');

/** The part of a follow-up designer's instructions about the blueprint. */
export const BLUEPRINT_REVISION =
  'If (and only if) the request changes the scope of the product (new views, new data, a different product), add a revised "blueprint" beside "phase": {"blueprint": {...}, "phase": {...}}. Otherwise answer with the phase object alone.';

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

function named(v: unknown, max: number): { name: string; description: string }[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, max).flatMap((x) => {
    if (typeof x === 'string') return x.trim() ? [{ name: x.trim().slice(0, 200), description: '' }] : [];
    if (typeof x !== 'object' || x === null) return [];
    const o = x as Record<string, unknown>;
    const name = text(o.name ?? o.title, 200);
    return name ? [{ name, description: text(o.description ?? o.purpose ?? o.goal, 1000) }] : [];
  });
}

/** A blueprint from the designer's JSON, accepting the usual variations; null when there is none worth keeping. */
export function readBlueprint(raw: unknown): Blueprint | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  const style = typeof o.style === 'object' && o.style !== null ? (o.style as Record<string, unknown>) : {};
  const palette = Array.isArray(style.palette)
    ? style.palette.flatMap((c) => (typeof c === 'string' ? [c.slice(0, 100)] : []))
    : typeof style.palette === 'string'
      ? style.palette.split(/[,;]\s*/).filter((c) => c.trim() !== '')
      : [];
  const dataModel = o.dataModel ?? o.data_model ?? o.data;
  const candidate = {
    title: text(o.title ?? o.name, 200),
    description: text(o.description ?? o.summary, 4000),
    style: {
      palette: palette.slice(0, 12),
      typography: text(style.typography ?? style.fonts, 500),
      layout: text(style.layout, 1000),
    },
    views: named(o.views ?? o.screens ?? o.pages, 20),
    components: Array.isArray(o.components)
      ? o.components.slice(0, 40).flatMap((c) => (typeof c === 'string' ? [c.slice(0, 300)] : named([c], 1).map((n) => n.name)))
      : [],
    dataModel: typeof dataModel === 'string' ? dataModel.slice(0, 4000) : dataModel ? JSON.stringify(dataModel).slice(0, 4000) : '',
    roadmap: named(o.roadmap ?? o.phases, 6),
  };
  if (candidate.title === '') return null;
  const checked = check(BlueprintSchema, candidate);
  return checked.ok ? checked.value : null;
}

/** The blueprint as prompt text (stable between calls, so it caches with the prefix). */
export function renderBlueprint(b: Blueprint): string {
  const lines = [`Blueprint: ${b.title}`, b.description];
  const style = [
    b.style.palette.length > 0 ? `palette ${b.style.palette.join(', ')}` : '',
    b.style.typography ? `typography: ${b.style.typography}` : '',
    b.style.layout ? `layout: ${b.style.layout}` : '',
  ].filter((x) => x !== '');
  if (style.length > 0) lines.push(`Visual style: ${style.join('; ')}`);
  if (b.views.length > 0) lines.push(`Views:\n${b.views.map((v) => `- ${v.name}${v.description ? `: ${v.description}` : ''}`).join('\n')}`);
  if (b.components.length > 0) lines.push(`Components: ${b.components.join(', ')}`);
  if (b.dataModel) lines.push(`Data model: ${b.dataModel}`);
  if (b.roadmap.length > 0)
    lines.push(`Roadmap:\n${b.roadmap.map((r, i) => `${i + 1}. ${r.name}${r.description ? `: ${r.description}` : ''}`).join('\n')}`);
  return lines.join('\n');
}
