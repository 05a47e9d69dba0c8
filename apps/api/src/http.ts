import { openapi } from '@elysiajs/openapi';
import { TerminalClientMessageSchema, TerminalServerFrameSchema } from '@lathe/protocol';
import { Elysia, ValidationError } from 'elysia';
import { authCookieName } from './auth';
import type { AppContext } from './context';
import { docsRoutes } from './docs';
import { errorResponse, toErrorResponse } from './errors';
import { adminRoutes } from './routes/admin';
import { agentRoutes } from './routes/agent';
import { fileOpRoutes } from './routes/file-ops';
import { fileRoutes } from './routes/files';
import { gitRoutes } from './routes/git';
import { keyRoutes } from './routes/keys';
import { projectRoutes } from './routes/projects';
import { systemRoutes } from './routes/system';
import { versionRoutes } from './routes/versions';

function validationMessage(error: ValidationError): string {
  const first = error.all[0];
  const where = error.type === 'body' ? 'body' : error.type;
  if (first && 'path' in first) return `${where} ${first.path || '/'}: ${first.message}`;
  return `${where} is invalid`;
}

/** The Elysia app: REST routes, the OpenAPI document and docs page, one error shape. */
export function createHttpApp(ctx: AppContext) {
  return new Elysia()
    .onError(({ code, error }) => {
      if (code === 'VALIDATION' && error instanceof ValidationError) {
        // A response that does not match its schema is our bug, not the client's.
        if (error.type === 'response') return toErrorResponse(error, ctx.log);
        return errorResponse(422, 'validation_failed', validationMessage(error));
      }
      if (code === 'NOT_FOUND') return errorResponse(404, 'not_found', 'no such route');
      if (code === 'PARSE') return errorResponse(400, 'invalid_json', 'the request body is not valid JSON');
      return toErrorResponse(error, ctx.log);
    })
    .use(
      openapi({
        path: '/docs',
        specPath: '/openapi.json',
        // The page itself is docsRoutes(): served from the installed package, not a CDN.
        provider: null,
        documentation: {
          info: {
            title: 'Lathe API',
            version: ctx.version,
            description:
              'REST API of Lathe. Sign in through better-auth at /api/auth (POST /api/auth/sign-up/email, /api/auth/sign-in/email); the session cookie authorizes every other route.',
          },
          tags: [
            { name: 'projects', description: 'Your projects' },
            { name: 'files', description: "A project's files" },
            { name: 'agent', description: 'The code generator agent of a project' },
            { name: 'keys', description: 'Your LLM API keys' },
            { name: 'git', description: 'Git credentials, remotes and pushes' },
            { name: 'system', description: 'Health and models' },
            { name: 'admin', description: 'Accounts and their use (administrators only)' },
            { name: 'history', description: "A project's versions: timeline, diff, restore, ZIP" },
          ],
          components: {
            securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: authCookieName(ctx.config.publicUrl) } },
            // The terminal socket's messages (GET /api/projects/{id}/terminal), which no REST route carries.
            schemas: {
              TerminalClientMessage: TerminalClientMessageSchema as unknown as Record<string, unknown>,
              TerminalServerFrame: TerminalServerFrameSchema as unknown as Record<string, unknown>,
            },
          },
        },
      }),
    )
    .use(docsRoutes())
    .use(systemRoutes(ctx))
    .use(projectRoutes(ctx))
    .use(fileRoutes(ctx))
    .use(fileOpRoutes(ctx))
    .use(agentRoutes(ctx))
    .use(keyRoutes(ctx))
    .use(gitRoutes(ctx))
    .use(adminRoutes(ctx))
    .use(versionRoutes(ctx));
}

type OpenApiDoc = { paths: Record<string, Record<string, OpenApiOperation>> };
type OpenApiOperation = {
  requestBody?: { content: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
};

/**
 * Corrects what the OpenAPI plugin gets wrong for this API: bodies are JSON only (it also lists
 * form encodings), and bodiless responses (204) must have no `content` at all.
 */
export function fixOpenApi<T extends OpenApiDoc>(doc: T): T {
  for (const operations of Object.values(doc.paths)) {
    for (const op of Object.values(operations)) {
      const json = op.requestBody?.content['application/json'];
      if (op.requestBody && json) op.requestBody.content = { 'application/json': json };
      for (const response of Object.values(op.responses ?? {})) {
        if (response.content && 'type' in response.content) delete response.content;
      }
    }
  }
  return doc;
}

/**
 * The Elysia app's fetch handler, with the OpenAPI document corrected and cached. The document is
 * built before the first request because Elysia annotates schemas as it compiles routes.
 */
export async function createApiHandler(ctx: AppContext): Promise<(request: Request) => Promise<Response>> {
  const app = createHttpApp(ctx);
  const raw = (await (await app.handle(new Request('http://lathe.internal/openapi.json'))).json()) as OpenApiDoc;
  const doc = JSON.stringify(fixOpenApi(raw));
  return async (request) => {
    if (new URL(request.url).pathname !== '/openapi.json') return app.handle(request);
    return new Response(doc, { headers: { 'content-type': 'application/json; charset=utf-8' } });
  };
}
