import {
  CreateFileBodySchema,
  FileEntrySchema,
  FilesChangedSchema,
  isBase64,
  LatheError,
  LIMITS,
  MoveFileBodySchema,
  UploadFileBodySchema,
} from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { type AppContext, ownedProject } from '../context';
import { createEntry, deleteEntry, moveEntry, uploadFile } from '../file-ops';
import { authed, E, ProjectParams } from './common';

/** The file tree's operations: create, upload, move or rename, delete (see file-ops.ts). */
export function fileOpRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['files'], summary, ...authed });
  const errors = { 401: E[401], 404: E[404], 409: E[409], 413: E[413], 422: E[422], 429: E[429] };
  return new Elysia({ prefix: '/api/projects/:id' })
    .post(
      '/files',
      async ({ request, params, body, set }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        const changes = await createEntry(ctx, user.id, project, body);
        set.status = 201;
        return changes;
      },
      {
        params: ProjectParams,
        body: CreateFileBodySchema,
        response: { 201: FilesChangedSchema, ...errors },
        detail: detail(
          'Create a text file (empty unless content is given) or a folder (stored as <folder>/.gitkeep); 409 path_exists when the path is taken, 409 busy while the agent works',
        ),
      },
    )
    .post(
      '/files/upload',
      async ({ request, params, body }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        if (!isBase64(body.content)) {
          throw new LatheError('invalid_input', 'content must be the file in base64');
        }
        return uploadFile(ctx, user.id, project, {
          path: body.path,
          bytes: Buffer.from(body.content, 'base64'),
          overwrite: body.overwrite === true,
        });
      },
      {
        params: ProjectParams,
        body: UploadFileBodySchema,
        response: { 200: Type.Object({ file: FileEntrySchema, changes: FilesChangedSchema }), ...errors },
        detail: detail(
          'Upload a file (base64): UTF-8 text is stored as text, anything else as a binary served as is to the preview; 413 beyond LATHE_UPLOAD_MAX_BYTES; 409 path_exists unless overwrite',
        ),
      },
    )
    .post(
      '/files/move',
      async ({ request, params, body }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return moveEntry(ctx, project, body);
      },
      {
        params: ProjectParams,
        body: MoveFileBodySchema,
        response: { 200: FilesChangedSchema, ...errors },
        detail: detail('Rename or move a file, or a folder with all its files; 409 path_exists when a target is taken'),
      },
    )
    .delete(
      '/files',
      async ({ request, params, query }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return deleteEntry(ctx, project, query);
      },
      {
        params: ProjectParams,
        query: Type.Object({ path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }) }),
        response: { 200: FilesChangedSchema, ...errors },
        detail: detail('Delete a file, or a folder with all its files'),
      },
    );
}
