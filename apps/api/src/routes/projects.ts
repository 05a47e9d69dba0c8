import { CreateProjectBodySchema, ProjectSchema, RenameProjectBodySchema } from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { previewUrlFor } from '../config';
import { type AppContext, ownedProject, startRound, toProject } from '../context';
import { PREVIEW_AUTH_PATH } from '../preview-access';
import { checkProjectQuota, checkSandboxQuota, checkStorageQuota } from '../quotas';
import { checkTokenBudget } from '../usage';
import { authed, E, ProjectParams } from './common';

const TEMPLATE = 'react-vite';

function nameFromPrompt(prompt: string): string {
  const line = prompt.trim().split('\n')[0] ?? '';
  const name = line.length > 60 ? `${line.slice(0, 57).trimEnd()}…` : line;
  return name || 'Untitled app';
}

export function projectRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['projects'], summary, ...authed });
  return new Elysia({ prefix: '/api/projects' })
    .get(
      '',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        const rows = await ctx.repos.projects.listByOwner(user.id);
        return rows.map((row) => toProject(ctx.config, row));
      },
      { response: { 200: Type.Array(ProjectSchema), 401: E[401] }, detail: detail('List your projects') },
    )
    .post(
      '',
      async ({ request, body, status }) => {
        const user = await ctx.sessions.require(request.headers);
        const start = body.start ?? true;
        await checkProjectQuota(ctx, user.id);
        if (start) {
          ctx.limiter.check(user.id, ctx.agents.activeCountFor(user.id));
          await checkTokenBudget(ctx.repos.usage, user.id, ctx.config.monthlyTokenBudget);
          await checkStorageQuota(ctx, user.id);
          await checkSandboxQuota(ctx, user.id, null);
        }
        const project = await ctx.repos.projects.create({
          ownerId: user.id,
          name: body.name?.trim() || nameFromPrompt(body.prompt),
          initialPrompt: body.prompt,
          template: TEMPLATE,
        });
        if (start) await startRound(ctx, user.id, project, 'generate', body.prompt);
        const fresh = (await ctx.repos.projects.get(project.id, user.id)) ?? project;
        return status(201, toProject(ctx.config, fresh));
      },
      {
        body: CreateProjectBodySchema,
        response: { 201: ProjectSchema, 401: E[401], 422: E[422], 429: E[429] },
        detail: detail(
          'Create a project (and start generating it from the prompt unless start is false); 429 beyond your quotas of projects, live sandboxes, storage or tokens',
        ),
      },
    )
    .get(
      '/:id',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return toProject(ctx.config, project);
      },
      { params: ProjectParams, response: { 200: ProjectSchema, 401: E[401], 404: E[404] }, detail: detail('Get a project') },
    )
    .patch(
      '/:id',
      async ({ request, params, body }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        const renamed = await ctx.repos.projects.rename(project.id, user.id, body.name.trim() || project.name);
        return toProject(ctx.config, renamed ?? project);
      },
      {
        params: ProjectParams,
        body: RenameProjectBodySchema,
        response: { 200: ProjectSchema, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail('Rename a project'),
      },
    )
    .delete(
      '/:id',
      async ({ request, params }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        await ctx.agents.remove(project.id);
        await ctx.repos.projects.delete(project.id, user.id);
        await ctx.git.forget(project.id);
        return new Response(null, { status: 204 });
      },
      {
        params: ProjectParams,
        response: { 204: Type.Null({ description: 'deleted' }), 401: E[401], 404: E[404] },
        detail: detail('Delete a project: stops its agent, destroys its sandbox, removes its files, messages and events'),
      },
    )
    .post(
      '/:id/preview-token',
      async ({ request, params }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        await ctx.repos.projects.rotatePreviewToken(project.id, user.id);
        const fresh = (await ctx.repos.projects.get(project.id, user.id)) ?? project;
        return toProject(ctx.config, fresh);
      },
      {
        params: ProjectParams,
        response: { 200: ProjectSchema, 401: E[401], 404: E[404] },
        detail: detail('Rotate the preview token: the old preview URL stops working'),
      },
    )
    .post(
      '/:id/preview-ticket',
      async ({ request, params }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        const { ticket, expiresAt } = ctx.previewAccess.issueTicket({
          userId: user.id,
          sessionId: user.sessionId,
          sessionExpiresAt: user.sessionExpiresAt,
          projectId: project.id,
          previewToken: project.previewToken,
        });
        const url = new URL(PREVIEW_AUTH_PATH, previewUrlFor(ctx.config, project.previewToken));
        url.searchParams.set('ticket', ticket);
        return { url: url.toString(), expiresAt };
      },
      {
        params: ProjectParams,
        response: {
          200: Type.Object({
            url: Type.String({ description: 'open within a minute, once: it signs this browser in to the preview and redirects to it' }),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
          401: E[401],
          404: E[404],
        },
        detail: detail("A one-time link that lets this browser load the project's preview (previews are private to their owner)"),
      },
    );
}
