import type { ApiKeyInfo } from '@lathe/db';
import { AddApiKeyBodySchema, type ApiKey, ApiKeySchema, LatheError } from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import type { AppContext } from '../context';
import { maskKey, seal } from '../crypto';
import { PROVIDERS } from '../providers';
import { authed, E } from './common';

function toApiKey(info: ApiKeyInfo): ApiKey {
  const provider = PROVIDERS.find((p) => p.id === info.provider);
  return { id: info.id, provider: info.provider, masked: maskKey(provider?.keyPrefix ?? '', info.last4), createdAt: info.createdAt };
}

export function keyRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['keys'], summary, ...authed });
  return new Elysia({ prefix: '/api/keys' })
    .get(
      '',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        return (await ctx.repos.apiKeys.list(user.id)).map(toApiKey);
      },
      { response: { 200: Type.Array(ApiKeySchema), 401: E[401] }, detail: detail('Your stored LLM API keys, masked') },
    )
    .post(
      '',
      async ({ request, body, status }) => {
        const user = await ctx.sessions.require(request.headers);
        const provider = PROVIDERS.find((p) => p.id === body.provider);
        if (!provider) {
          throw new LatheError('unknown_provider', `provider must be one of: ${PROVIDERS.map((p) => p.id).join(', ')}`);
        }
        const key = body.key.trim();
        if (key.length < 8 || /\s/.test(key))
          throw new LatheError('validation_failed', 'the key must be at least 8 characters without spaces');
        const row = await ctx.repos.apiKeys.add(user.id, { provider: provider.id, ...seal(key, ctx.encryptionKey), last4: key.slice(-4) });
        return status(201, toApiKey(row));
      },
      {
        body: AddApiKeyBodySchema,
        response: { 201: ApiKeySchema, 401: E[401], 422: E[422] },
        detail: detail(
          'Store an API key (encrypted at rest; replaces your earlier key for that provider); it is used for your generations',
        ),
      },
    )
    .delete(
      '/:keyId',
      async ({ request, params }) => {
        const user = await ctx.sessions.require(request.headers);
        const deleted = /^[0-9a-f-]{36}$/i.test(params.keyId) && (await ctx.repos.apiKeys.delete(user.id, params.keyId));
        if (!deleted) throw new LatheError('not_found', 'key not found');
        return new Response(null, { status: 204 });
      },
      {
        params: Type.Object({ keyId: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null({ description: 'deleted' }), 401: E[401], 404: E[404] },
        detail: detail('Delete a stored API key'),
      },
    );
}
