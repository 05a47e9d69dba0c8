import { LatheError } from '@lathe/protocol';
import { describe, expect, it } from 'vitest';
import { OFFLINE_MODEL_NAME } from '../src/config';
import { costOf, DEFAULT_PRICES, parsePriceTable, priceOf } from '../src/pricing';

const usage = (promptTokens: number, completionTokens: number, cachedTokens = 0) => ({ promptTokens, completionTokens, cachedTokens });

describe('price table', () => {
  it('has defaults for common models and makes the offline model free', () => {
    expect(parsePriceTable(undefined)).toBe(DEFAULT_PRICES);
    expect(parsePriceTable('  ')).toBe(DEFAULT_PRICES);
    expect(priceOf(DEFAULT_PRICES, 'anthropic/claude-sonnet-4')).toEqual({ input: 3, output: 15, cached: 0.3 });
    expect(costOf(DEFAULT_PRICES, OFFLINE_MODEL_NAME, usage(5000, 2000))).toBe(0);
  });

  it('lays the operator JSON over the defaults', () => {
    const table = parsePriceTable('{"my/model": {"input": 1, "output": 2}, "openai/gpt-4o": {"input": 5, "output": 20, "cached": 2}}');
    expect(table['my/model']).toEqual({ input: 1, output: 2 });
    expect(table['openai/gpt-4o']).toEqual({ input: 5, output: 20, cached: 2 });
    expect(table['anthropic/claude-sonnet-4']).toEqual(DEFAULT_PRICES['anthropic/claude-sonnet-4']);
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[1]', 'LATHE_PRICES must map'],
    ['{"m": {"input": -1, "output": 2}}', '/m/input'],
    ['{"m": {"input": 1}}', 'LATHE_PRICES must map'],
    ['{"m": {"input": 1, "output": 2, "extra": 3}}', 'LATHE_PRICES must map'],
    ['{"m": {"input": "1", "output": 2}}', '/m/input'],
  ])('refuses %s with invalid_config', (json, message) => {
    let error: unknown;
    try {
      parsePriceTable(json);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LatheError);
    expect((error as LatheError).code).toBe('invalid_config');
    expect((error as LatheError).message).toContain(message);
  });

  it('finds a model with or without its provider prefix', () => {
    const table = parsePriceTable('{"gpt-x": {"input": 1, "output": 1}}', {});
    expect(priceOf(table, 'gpt-x')).not.toBeNull();
    expect(priceOf(table, 'openai/gpt-x')).not.toBeNull();
    expect(priceOf(DEFAULT_PRICES, 'gpt-4.1')).toEqual(DEFAULT_PRICES['openai/gpt-4.1']);
    expect(priceOf(DEFAULT_PRICES, 'unknown/model')).toBeNull();
    expect(costOf(DEFAULT_PRICES, 'unknown/model', usage(1, 1))).toBeNull();
  });

  it('prices cached prompt tokens at the cached rate and the rest at the input rate', () => {
    const table = parsePriceTable('{"m": {"input": 3, "output": 15, "cached": 0.3}, "n": {"input": 2, "output": 4}}', {});
    // 1M prompt tokens of which 400k cached, 100k completion.
    expect(costOf(table, 'm', usage(1_000_000, 100_000, 400_000))).toBeCloseTo(0.6 * 3 + 0.4 * 0.3 + 0.1 * 15, 10);
    // No cached price: cached tokens cost the input price.
    expect(costOf(table, 'n', usage(1_000_000, 0, 500_000))).toBeCloseTo(2, 10);
    // A provider reporting more cached than prompt tokens cannot make the cost negative.
    expect(costOf(table, 'm', usage(10, 0, 50))).toBeCloseTo((10 * 0.3) / 1_000_000, 12);
  });
});
