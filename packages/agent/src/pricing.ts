import { check, LatheError } from '@lathe/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { OFFLINE_MODEL_NAME } from './config';

/** USD per million tokens; `cached` is the price of prompt tokens served from the cache (default: `input`). */
export const ModelPriceSchema = Type.Object(
  {
    input: Type.Number({ minimum: 0, maximum: 10_000 }),
    output: Type.Number({ minimum: 0, maximum: 10_000 }),
    cached: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type ModelPrice = Static<typeof ModelPriceSchema>;

/** Prices by model name, as the operator edits them. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

const PriceTableSchema = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), ModelPriceSchema);

/**
 * List prices of a few common models (USD per million tokens, checked 2026-12). Operators
 * override or extend them with LATHE_PRICES; a provider's own figure always wins over these.
 */
export const DEFAULT_PRICES: PriceTable = {
  [OFFLINE_MODEL_NAME]: { input: 0, output: 0, cached: 0 },
  'anthropic/claude-sonnet-4': { input: 3, output: 15, cached: 0.3 },
  'anthropic/claude-opus-4': { input: 15, output: 75, cached: 1.5 },
  'anthropic/claude-3.5-haiku': { input: 0.8, output: 4, cached: 0.08 },
  'openai/gpt-4.1': { input: 2, output: 8, cached: 0.5 },
  'openai/gpt-4.1-mini': { input: 0.4, output: 1.6, cached: 0.1 },
  'openai/gpt-4o': { input: 2.5, output: 10, cached: 1.25 },
  'openai/gpt-4o-mini': { input: 0.15, output: 0.6, cached: 0.075 },
  'google/gemini-2.5-pro': { input: 1.25, output: 10, cached: 0.31 },
  'google/gemini-2.5-flash': { input: 0.3, output: 2.5, cached: 0.075 },
  'deepseek/deepseek-chat': { input: 0.27, output: 1.1, cached: 0.07 },
};

/**
 * The price table: the defaults with the operator's JSON (`{"model": {"input": 3, "output": 15,
 * "cached": 0.3}}`) laid over them. Throws LatheError `invalid_config` naming what is wrong.
 */
export function parsePriceTable(json: string | undefined, defaults: PriceTable = DEFAULT_PRICES): PriceTable {
  if (json === undefined || json.trim() === '') return defaults;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new LatheError('invalid_config', `LATHE_PRICES is not valid JSON: ${(e as Error).message}`);
  }
  const result = check(PriceTableSchema, raw);
  if (!result.ok) {
    throw new LatheError(
      'invalid_config',
      `LATHE_PRICES must map model names to {"input", "output", "cached"?} in USD per million tokens: ${result.error}`,
    );
  }
  return { ...defaults, ...result.value };
}

const bareName = (model: string) => model.slice(model.lastIndexOf('/') + 1).toLowerCase();

/**
 * The price of a model: its exact name, else the same name without a provider prefix on either
 * side ("gpt-4.1" and "openai/gpt-4.1" are one model to OpenAI and OpenRouter users alike).
 */
export function priceOf(table: PriceTable, model: string): ModelPrice | null {
  const exact = table[model];
  if (exact) return exact;
  const bare = bareName(model);
  for (const [name, price] of Object.entries(table)) {
    if (bareName(name) === bare) return price;
  }
  return null;
}

/** USD for one call from the table, or null when the model has no price. Cached tokens are part of promptTokens. */
export function costOf(
  table: PriceTable,
  model: string,
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number },
): number | null {
  const price = priceOf(table, model);
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const usd = (usage.promptTokens - cached) * price.input + cached * (price.cached ?? price.input) + usage.completionTokens * price.output;
  return usd / 1_000_000;
}
