import { openapi } from '@elysiajs/openapi';
import { Elysia, ValidationError } from 'elysia';
import type { AppContext } from './context';
import { errorResponse, toErrorResponse } from './errors';
import { agentRoutes } from './routes/agent';
import { fileRoutes } from './routes/files';
import { keyRoutes } from './routes/keys';
import { projectRoutes } from './routes/projects';
import { systemRoutes } from './routes/system';

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
      if (code === 'VALIDATION' && error instanceof ValidationError)
        return errorResponse(422, 'validation_failed', validationMessage(error));
      if (code === 'NOT_FOUND') return errorResponse(404, 'not_found', 'no such route');
      if (code === 'PARSE') return errorResponse(400, 'invalid_json', 'the request body is not valid JSON');
      return toErrorResponse(error, ctx.log);
    })
    .use(
      openapi({
        path: '/docs',
        specPath: '/openapi.json',
        provider: 'swagger-ui',
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
            { name: 'system', description: 'Health and models' },
          ],
          components: {
            securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'better-auth.session_token' } },
          },
        },
      }),
    )
    .use(systemRoutes(ctx))
    .use(projectRoutes(ctx))
    .use(fileRoutes(ctx))
    .use(agentRoutes(ctx))
    .use(keyRoutes(ctx));
}

export type HttpApp = ReturnType<typeof createHttpApp>;
