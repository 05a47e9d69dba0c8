import { AgentEventSchema, AgentSnapshotSchema, LIMITS, MessageSchema, UsageTotalsSchema } from '@lathe/protocol';
import { type TSchema, Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { type AppContext, ownedProject, startRound } from '../context';
import { AcceptedSchema, authed, E, ProjectParams } from './common';

// Elysia's type inference gives up on these large unions; the handlers' own return types keep them typed.
const SnapshotResponse: TSchema = AgentSnapshotSchema;
const EventsResponse: TSchema = Type.Array(AgentEventSchema);

export function agentRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['agent'], summary, ...authed });
  return new Elysia({ prefix: '/api/projects/:id' })
    .get(
      '/messages',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        const rows = await ctx.repos.messages.list(project.id);
        return rows.map((m) => ({ id: m.id, role: m.role, content: m.content, createdAt: m.createdAt }));
      },
      { params: ProjectParams, response: { 200: Type.Array(MessageSchema), 401: E[401], 404: E[404] }, detail: detail('Chat history') },
    )
    .post(
      '/messages',
      async ({ request, params, body, status }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        await startRound(ctx, user.id, project, 'message', body.text);
        return status(202, { accepted: true as const });
      },
      {
        params: ProjectParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: LIMITS.messageChars }) }),
        response: { 202: AcceptedSchema, 401: E[401], 404: E[404], 409: E[409], 422: E[422], 429: E[429] },
        detail: detail('Ask for a follow-up change: starts a new round of phases on top of the existing files'),
      },
    )
    .post(
      '/generate',
      async ({ request, params, body, status }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        await startRound(ctx, user.id, project, 'generate', body.description);
        return status(202, { accepted: true as const });
      },
      {
        params: ProjectParams,
        body: Type.Object({ description: Type.String({ minLength: 1, maxLength: LIMITS.promptChars }) }),
        response: { 202: AcceptedSchema, 401: E[401], 404: E[404], 409: E[409], 422: E[422], 429: E[429] },
        detail: detail('Generate the app from a description'),
      },
    )
    .post(
      '/cancel',
      async ({ request, params, status }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        await ctx.agents.cancel(project);
        return status(202, { accepted: true as const });
      },
      {
        params: ProjectParams,
        response: { 202: AcceptedSchema, 401: E[401], 404: E[404] },
        detail: detail('Cancel the running generation'),
      },
    )
    .get(
      '/state',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.agents.snapshot(project);
      },
      { params: ProjectParams, response: { 200: SnapshotResponse, 401: E[401], 404: E[404] }, detail: detail("The agent's state") },
    )
    .get(
      '/usage',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.repos.usage.projectTotals(project.id);
      },
      {
        params: ProjectParams,
        response: { 200: UsageTotalsSchema, 401: E[401], 404: E[404] },
        detail: detail("Tokens and cost of every model call the project's generations made"),
      },
    )
    .get(
      '/events',
      async ({ request, params, query }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.repos.events.after(project.id, query.after ?? 0, query.limit ?? 1000);
      },
      {
        params: ProjectParams,
        query: Type.Object({
          // Elysia's own integer type, which converts the query string.
          after: t.Optional(t.Integer({ minimum: 0, description: 'only events with a larger seq' })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: EventsResponse, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail('Events after a seq, oldest first (for clients without a WebSocket)'),
      },
    )
    .get(
      '/ws-token',
      async ({ request, params }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.socketTokens.issue({ userId: user.id, sessionId: user.sessionId }, project.id);
      },
      {
        params: ProjectParams,
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String() }), 401: E[401], 404: E[404] },
        detail: detail(
          'A single-use token, valid for a minute, for ?token= on the project WebSocket (for clients that cannot send cookies)',
        ),
      },
    )
    .get(
      '/ws',
      async ({ request, params, status }) => {
        await ownedProject(ctx, request.headers, params.id);
        return status(426, { error: { code: 'upgrade_required', message: 'connect with a WebSocket client' } });
      },
      {
        params: ProjectParams,
        query: Type.Object({
          after: t.Optional(t.Integer({ minimum: 0 })),
          token: t.Optional(t.String()),
        }),
        response: { 426: E[401], 401: E[401], 404: E[404] },
        detail: {
          ...detail('The project WebSocket (upgrade): snapshot, events after ?after=, then live events; see ServerFrame'),
        },
      },
    )
    .get(
      '/terminal',
      async ({ request, params, status }) => {
        await ownedProject(ctx, request.headers, params.id);
        return status(426, { error: { code: 'upgrade_required', message: 'connect with a WebSocket client' } });
      },
      {
        params: ProjectParams,
        query: Type.Object({
          cols: t.Optional(t.Integer({ minimum: 2, maximum: 500, description: 'terminal width in cells (default 80)' })),
          rows: t.Optional(t.Integer({ minimum: 1, maximum: 200, description: 'terminal height in cells (default 24)' })),
          token: t.Optional(t.String({ description: 'a single-use token from /ws-token, for clients that cannot send cookies' })),
        }),
        response: { 426: E[401], 401: E[401], 404: E[404], 422: E[422] },
        detail: {
          ...detail(
            "The project's terminal WebSocket (upgrade), owner only: a shell inside the project's sandbox (the Docker container, or the bubblewrap jail of the local provider; never a host shell), one per project — a second connection takes it over. Client messages: TerminalClientMessage (input, resize); server frames: TerminalServerFrame (ready, output, dropped, error, exit). The shell ends when its socket closes, on exit, and after LATHE_TERMINAL_IDLE_MS without input or output. Where the sandbox cannot confine a shell, an error frame with code shell_unavailable, then the socket closes (4011). Commands typed show in the project's logs (source exec).",
          ),
        },
      },
    );
}
