import {
  ErrorBodySchema,
  LatheError,
  LIMITS,
  RestoreResultSchema,
  type VersionDetail,
  VersionDetailSchema,
  type VersionFile,
  VersionFileContentSchema,
  VersionSchema,
} from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { type AppContext, ownedProject } from '../context';
import { authed, E } from './common';
import { zipResponse } from './files';

const VersionParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'project id' }),
  seq: t.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'version number (1, 2, … per project)' }),
});

/** Version history of a project (issue 15): list, inspect, compare, restore, download. */
export function versionRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['history'], summary, ...authed });
  /** The owner's version, or the same 404 a stranger gets for the project. */
  const ownedVersion = async (headers: Headers, id: string, seq: number) => {
    const { user, project } = await ownedProject(ctx, headers, id);
    const version = await ctx.repos.versions.get(project.id, seq);
    if (!version) throw new LatheError('not_found', `version ${seq} not found`);
    return { user, project, version };
  };

  return new Elysia({ prefix: '/api/projects/:id' })
    .get(
      '/versions',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.repos.versions.list(project.id);
      },
      {
        params: Type.Object({ id: Type.String({ format: 'uuid', description: 'project id' }) }),
        response: { 200: Type.Array(VersionSchema), 401: E[401], 404: E[404] },
        detail: detail('The version history, newest first: a version per phase, per burst of your edits, per restore'),
      },
    )
    .get(
      '/versions/:seq',
      async ({ request, params }): Promise<VersionDetail> => {
        const { project, version } = await ownedVersion(request.headers, params.id, params.seq);
        const [then, now] = await Promise.all([ctx.repos.versions.files(project.id, version.seq), ctx.repos.files.list(project.id)]);
        const current = new Map(now.map((f) => [f.path, f.hash]));
        const files: VersionFile[] = (then ?? []).map((f) => {
          const hash = current.get(f.path);
          return { ...f, status: hash === undefined ? 'deleted' : hash === f.hash ? 'unchanged' : 'modified' };
        });
        const inVersion = new Set(files.map((f) => f.path));
        for (const f of now) if (!inVersion.has(f.path)) files.push({ path: f.path, hash: null, size: null, status: 'added' });
        files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        return { version, files };
      },
      {
        params: VersionParams,
        response: { 200: VersionDetailSchema, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail(
          "One version and its files, each compared with the project's current files (unchanged, modified, deleted since, added since)",
        ),
      },
    )
    .get(
      '/versions/:seq/file',
      async ({ request, params, query }) => {
        const { project, version } = await ownedVersion(request.headers, params.id, params.seq);
        const file = await ctx.repos.versions.read(project.id, version.seq, query.path);
        if (!file) throw new LatheError('not_found', `version ${version.seq} has no file at ${query.path}`);
        return { seq: version.seq, ...file };
      },
      {
        params: VersionParams,
        query: Type.Object({ path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }) }),
        response: { 200: VersionFileContentSchema, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail('One file as it was in a version'),
      },
    )
    .post(
      '/versions/:seq/restore',
      async ({ request, params }) => {
        const { project, version } = await ownedVersion(request.headers, params.id, params.seq);
        return ctx.history.restore(project, version.seq);
      },
      {
        params: VersionParams,
        response: { 200: RestoreResultSchema, 401: E[401], 404: E[404], 409: E[409], 422: E[422] },
        detail: detail(
          "Restore a version: its files are written back (database, sandbox, preview by HMR) and files it did not have are deleted; the restore is a new version, and the replaced files stay in the history. 409 while the agent works. The agent's next round starts from the restored files.",
        ),
      },
    )
    .get(
      '/versions/:seq/download',
      async ({ request, params }) => {
        const { project, version } = await ownedVersion(request.headers, params.id, params.seq);
        const files = (await ctx.repos.versions.files(project.id, version.seq)) ?? [];
        return zipResponse(
          ctx,
          { files, read: (paths) => ctx.repos.versions.readMany(project.id, version.seq, paths) },
          `${project.name} v${version.seq}`,
        );
      },
      {
        params: VersionParams,
        detail: {
          ...detail('Download a version as a ZIP'),
          responses: {
            200: { description: 'the ZIP', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
            401: { description: 'not signed in', content: { 'application/json': { schema: ErrorBodySchema } } },
            404: { description: 'no such project or version', content: { 'application/json': { schema: ErrorBodySchema } } },
            413: {
              description: 'the version is larger than LATHE_DOWNLOAD_MAX_BYTES',
              content: { 'application/json': { schema: ErrorBodySchema } },
            },
          },
        },
      },
    );
}
