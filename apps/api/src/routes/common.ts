import { ErrorBodySchema } from '@lathe/protocol';
import { Type } from '@sinclair/typebox';

export const ProjectParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'project id' }) });

export const AcceptedSchema = Type.Object({ accepted: Type.Literal(true) });

/** Error responses for OpenAPI, by status. */
export const E = {
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  413: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
} as const;

export const authed = { security: [{ session: [] }] };
