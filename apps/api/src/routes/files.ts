import {
  ErrorBodySchema,
  FileContentSchema,
  type FileEncoding,
  FileEntrySchema,
  LatheError,
  LIMITS,
  WriteFileBodySchema,
} from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { Zip, ZipDeflate } from 'fflate';
import { type AppContext, ownedProject } from '../context';
import { safePath } from '../file-ops';
import { checkStorageQuota } from '../quotas';
import { authed, E, ProjectParams } from './common';

export function fileRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['files'], summary, ...authed });
  return new Elysia({ prefix: '/api/projects/:id' })
    .get(
      '/files',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return ctx.repos.files.list(project.id);
      },
      { params: ProjectParams, response: { 200: Type.Array(FileEntrySchema), 401: E[401], 404: E[404] }, detail: detail('The file tree') },
    )
    .get(
      '/file',
      async ({ request, params, query }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        const file = await ctx.repos.files.read(project.id, safePath(query.path));
        if (!file) throw new LatheError('not_found', `no file at ${query.path}`);
        return { path: file.path, content: file.content, encoding: file.encoding, hash: file.hash, updatedAt: file.updatedAt };
      },
      {
        params: ProjectParams,
        query: Type.Object({ path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }) }),
        response: { 200: FileContentSchema, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail('Read one file'),
      },
    )
    .put(
      '/file',
      async ({ request, params, body }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        const path = safePath(body.path);
        const bytes = Buffer.byteLength(body.content, 'utf8');
        if (bytes > LIMITS.fileBytes) {
          throw new LatheError('file_too_large', `a file may hold at most ${LIMITS.fileBytes} bytes`);
        }
        const replaced = (await ctx.repos.files.list(project.id)).find((f) => f.path === path)?.size ?? 0;
        await checkStorageQuota(ctx, user.id, bytes - replaced);
        const saved = await ctx.agents.userEdit(project, path, body.content);
        ctx.git.userEdited(project.id, path);
        // The save stands even if its version cannot be recorded; the next one will hold it.
        await ctx.history.userEdited(project.id).catch((e: unknown) => {
          ctx.log(`recording the edit of ${path} in ${project.id} as a version failed: ${(e as Error).message}`);
        });
        return saved;
      },
      {
        params: ProjectParams,
        body: WriteFileBodySchema,
        response: { 200: FileEntrySchema, 401: E[401], 404: E[404], 409: E[409], 413: E[413], 422: E[422], 429: E[429] },
        detail: detail(
          'Save a user edit: stored, written to the sandbox (HMR shows it), seen by the agent next phase; 429 beyond your storage quota',
        ),
      },
    )
    .get(
      '/download',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        const files = await ctx.repos.files.list(project.id);
        return zipResponse(ctx, { files, read: (paths) => ctx.repos.files.readMany(project.id, paths) }, project.name);
      },
      {
        params: ProjectParams,
        // Documented by hand: the plugin cannot describe a binary body from a response schema.
        detail: {
          ...detail('Download the project as a ZIP (no node_modules)'),
          responses: {
            200: { description: 'the ZIP', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
            401: { description: 'not signed in', content: { 'application/json': { schema: ErrorBodySchema } } },
            404: { description: 'no such project', content: { 'application/json': { schema: ErrorBodySchema } } },
            413: {
              description: 'the project is larger than LATHE_DOWNLOAD_MAX_BYTES',
              content: { 'application/json': { schema: ErrorBodySchema } },
            },
          },
        },
      },
    );
}

/** A file batch read from the database per pull: about this many bytes of content. */
const ZIP_BATCH_BYTES = 1024 * 1024;
/** A full garbage collection after about this many bytes of content zipped (see collectGarbage). */
const ZIP_GC_BYTES = 8 * 1024 * 1024;

/**
 * Each file passes through as a string from the driver, its UTF-8 bytes and its compressed
 * bytes: garbage the engine tracks as memory outside its heap and collects lazily, so a large
 * download left the server's memory several hundred MiB up (measured: +270 MiB for 200 MiB of
 * files) although nothing was retained. A full collection every few batches keeps it flat.
 */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  bun?.gc(true);
}

/** What a ZIP is made of: the file list (sizes for batching) and a reader of their contents. */
export interface ZipSource {
  files: readonly { path: string; size: number }[];
  read(paths: string[]): Promise<{ path: string; content: string; encoding: FileEncoding }[]>;
}

/** Streams the files as `<slug of name>.zip`; 413 `project_too_large` beyond LATHE_DOWNLOAD_MAX_BYTES. */
export async function zipResponse(ctx: AppContext, source: ZipSource, name: string): Promise<Response> {
  const { files } = source;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > ctx.config.downloadMaxBytes) {
    throw new LatheError(
      'project_too_large',
      `the project holds ${total} bytes of files; downloads are limited to ${ctx.config.downloadMaxBytes} bytes (LATHE_DOWNLOAD_MAX_BYTES)`,
    );
  }
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'project';
  const encoder = new TextEncoder();
  let next = 0;
  let sinceGc = 0;
  let zip: Zip | null = null;
  // Pulled: the next batch of files is read and compressed only when the client has taken what
  // came before, so a slow download never piles the archive up in memory.
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        zip = new Zip((err, chunk, final) => {
          if (err) return controller.error(err);
          controller.enqueue(chunk);
          if (final) controller.close();
        });
      },
      async pull() {
        if (!zip) return;
        if (next >= files.length) {
          zip.end();
          return;
        }
        const batch: string[] = [];
        let bytes = 0;
        while (next < files.length && (batch.length === 0 || bytes < ZIP_BATCH_BYTES)) {
          const file = files[next++];
          if (!file) break;
          batch.push(file.path);
          bytes += file.size;
        }
        sinceGc += bytes;
        if (sinceGc >= ZIP_GC_BYTES) {
          sinceGc = 0;
          collectGarbage();
        }
        for (const file of await source.read(batch)) {
          const entry = new ZipDeflate(`${slug}/${file.path}`, { level: 6 });
          zip.add(entry);
          entry.push(file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : encoder.encode(file.content), true);
        }
      },
      cancel() {
        zip?.terminate();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 1024 * 1024 }),
  );
  return new Response(stream, {
    headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${slug}.zip"` },
  });
}
