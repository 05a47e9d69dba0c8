import type { UserWithHoldings } from '@lathe/db';
import { type AdminUser, AdminUserSchema, AdminUsersSchema, LatheError, UpdateUserBodySchema } from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import type { AppContext } from '../context';
import { liveSandboxesByOwner } from '../quotas';
import { monthOf } from '../usage';
import { authed, E } from './common';

const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 200, description: 'user id' }) });

/** Accounts and what they use, for administrators only (everyone else gets 403). */
export function adminRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['admin'], summary, ...authed });

  const withUse = async (users: UserWithHoldings[]): Promise<AdminUser[]> => {
    const live = await liveSandboxesByOwner(ctx);
    const { since } = monthOf(new Date());
    return Promise.all(
      users.map(async (u) => {
        const month = await ctx.repos.usage.userSince(u.id, since);
        return {
          id: u.id,
          email: u.email,
          name: u.name,
          role: u.role,
          status: u.status,
          createdAt: u.createdAt,
          projects: u.projects,
          liveSandboxes: live.get(u.id) ?? 0,
          storageBytes: u.storageBytes,
          tokensThisMonth: month.tokens,
          costUsdThisMonth: month.costUsd,
        };
      }),
    );
  };

  return new Elysia({ prefix: '/api/admin' })
    .get(
      '/users',
      async ({ request }) => {
        await ctx.sessions.requireAdmin(request.headers);
        const { quotas, signup, monthlyTokenBudget } = ctx.config;
        return {
          signup,
          quotas: {
            projects: quotas.projects,
            liveSandboxes: quotas.sandboxes,
            storageBytes: quotas.storageBytes,
            monthlyTokens: monthlyTokenBudget,
          },
          users: await withUse(await ctx.repos.users.listWithHoldings()),
        };
      },
      {
        response: { 200: AdminUsersSchema, 401: E[401], 403: E[403] },
        detail: detail(
          'Every account, oldest first, with its projects, live sandboxes, storage and tokens this month; the sign-up policy and quotas',
        ),
      },
    )
    .patch(
      '/users/:userId',
      async ({ request, params, body }) => {
        const admin = await ctx.sessions.requireAdmin(request.headers);
        // An admin who demoted or disabled themselves could leave the server with none.
        if (params.userId === admin.id) throw new LatheError('conflict', 'you cannot change your own account; ask another administrator');
        const updated = await ctx.repos.users.update(params.userId, body);
        if (!updated) throw new LatheError('not_found', 'user not found');
        if (updated.status !== 'active') {
          await ctx.repos.users.endSessions(updated.id);
          // Their rounds would go on spending the server's key: stop them too.
          for (const project of await ctx.repos.projects.listByOwner(updated.id)) {
            if (ctx.agents.isBusy(project.id)) await ctx.agents.cancel(project);
          }
        }
        const row = (await ctx.repos.users.listWithHoldings()).find((u) => u.id === updated.id);
        if (!row) throw new LatheError('not_found', 'user not found');
        const [user] = await withUse([row]);
        if (!user) throw new LatheError('not_found', 'user not found');
        return user;
      },
      {
        params: UserParams,
        body: UpdateUserBodySchema,
        response: { 200: AdminUserSchema, 401: E[401], 403: E[403], 404: E[404], 409: E[409], 422: E[422] },
        detail: detail(
          'Approve (status active), disable (status disabled: signed out everywhere, running rounds cancelled, cannot sign in) or change the role of an account; not your own',
        ),
      },
    );
}
