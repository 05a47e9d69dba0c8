import type { ModelChoices } from '@lathe/db';
import { HealthSchema, LatheError, ModelsSchema, MonthlyUsageSchema, SetModelsBodySchema } from '@lathe/protocol';
import { Elysia } from 'elysia';
import type { AppContext } from '../context';
import { PROVIDERS } from '../providers';
import { monthlyUsage } from '../usage';
import { authed, E } from './common';

export function systemRoutes(ctx: AppContext) {
  return new Elysia()
    .get(
      '/health',
      async () => {
        const dbOk = await ctx.db.ping();
        return {
          status: dbOk ? ('ok' as const) : ('degraded' as const),
          database: { kind: ctx.db.kind, ok: dbOk },
          sandbox: { provider: ctx.sandboxes.kind, ok: true },
          llm: { offline: ctx.llmOffline },
          version: ctx.version,
        };
      },
      { response: { 200: HealthSchema }, detail: { tags: ['system'], summary: 'Liveness and dependency status (no auth)' } },
    )
    .get(
      '/api/models',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        return ctx.models(user.id);
      },
      {
        response: { 200: ModelsSchema, 401: E[401] },
        detail: { tags: ['system'], summary: 'LLM providers and the model used per role; offline = built-in offline model', ...authed },
      },
    )
    .get(
      '/api/usage',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        return monthlyUsage(ctx.repos.usage, user.id, ctx.config.monthlyTokenBudget);
      },
      {
        response: { 200: MonthlyUsageSchema, 401: E[401] },
        detail: {
          tags: ['system'],
          summary: 'Your tokens this calendar month (UTC) and the monthly budget (null = unlimited); at the budget, new rounds get 429',
          ...authed,
        },
      },
    )
    .put(
      '/api/models',
      async ({ request, body }) => {
        const user = await ctx.sessions.require(request.headers);
        // null and absent both mean "the server default", which is stored as no entry.
        const choices: ModelChoices = {};
        for (const role of ['designer', 'implementer', 'fixer'] as const) {
          const name = body[role];
          if (typeof name === 'string') choices[role] = name;
        }
        await checkAllowedModels(ctx, user.id, choices);
        await ctx.repos.settings.setModels(user.id, choices);
        return ctx.models(user.id);
      },
      {
        body: SetModelsBodySchema,
        response: { 200: ModelsSchema, 401: E[401], 422: E[422] },
        detail: {
          tags: ['system'],
          summary:
            "Choose your model per role (null = server default); used for your generations when a key is available, the offline model answers otherwise. Without your own key, only the server's allowed models (allowedModels) are accepted: 422 model_not_allowed",
          ...authed,
        },
      },
    );
}

/** Without a key of their own, a user may choose only models the operator lets the server's key pay for. */
async function checkAllowedModels(ctx: AppContext, userId: string, choices: ModelChoices): Promise<void> {
  const allowed = ctx.config.allowedModels;
  if (!allowed) return;
  const refused = Object.values(choices).filter((name) => !allowed.has(name));
  if (refused.length === 0) return;
  const keys = await ctx.repos.apiKeys.list(userId);
  if (keys.some((k) => PROVIDERS.some((p) => p.id === k.provider))) return;
  throw new LatheError(
    'model_not_allowed',
    `this server pays only for ${[...allowed].join(', ')}; ${refused[0]} needs an API key of your own (Settings → API keys)`,
  );
}
