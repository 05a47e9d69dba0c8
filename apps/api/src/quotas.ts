import { LatheError } from '@lathe/protocol';
import type { AppContext } from './context';

/** A per-user limit (admins included) was reached: 429 with a code naming which one. */
export class QuotaError extends LatheError {}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024)).toLocaleString('en-US')} MB`;
}

/** How many sandboxes run a dev server now, per project owner. */
export async function liveSandboxesByOwner(ctx: AppContext): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const projectId of ctx.sandboxes.live()) {
    const project = await ctx.repos.projects.getAny(projectId);
    if (project) counts.set(project.ownerId, (counts.get(project.ownerId) ?? 0) + 1);
  }
  return counts;
}

export async function checkProjectQuota(ctx: AppContext, userId: string): Promise<void> {
  const max = ctx.config.quotas.projects;
  if (max === null) return;
  const count = await ctx.repos.users.projectCount(userId);
  if (count < max) return;
  throw new QuotaError(
    'project_quota_exceeded',
    `you have ${count.toLocaleString('en-US')} projects, the most this server allows per user (${max.toLocaleString('en-US')}); delete one to create another`,
  );
}

/**
 * Refuses more file content past the user's storage quota: a round when their projects hold the
 * quota already (`growth` undefined), a file write when it would grow them beyond it. A write
 * that does not grow the total (shrinking a file) always passes, so there is a way back under.
 */
export async function checkStorageQuota(ctx: AppContext, userId: string, growth?: number): Promise<void> {
  const max = ctx.config.quotas.storageBytes;
  if (max === null || (growth !== undefined && growth <= 0)) return;
  const used = await ctx.repos.users.storageBytes(userId);
  if (growth === undefined ? used < max : used + growth <= max) return;
  throw new QuotaError(
    'storage_quota_exceeded',
    `your projects hold ${mib(used)} of files, and this server allows ${mib(max)} per user; delete a project or some files first`,
  );
}

/**
 * Makes room for one more running sandbox (a preview, a generation) under the owner's quota by
 * stopping their unwatched ones, and refuses when every one of them is in use. A project whose
 * sandbox is live already is always let through.
 */
export async function checkSandboxQuota(ctx: AppContext, ownerId: string, projectId: string | null): Promise<void> {
  const max = ctx.config.quotas.sandboxes;
  const running = ctx.sandboxes.live();
  // The fast path every preview request takes: no database query for a sandbox already up.
  if (max === null || (projectId !== null && running.includes(projectId))) return;
  const own = new Set((await ctx.repos.projects.listByOwner(ownerId)).map((p) => p.id));
  const live = running.filter((id) => own.has(id));
  if (live.length < max) return;
  // Apps nobody looks at make room first; only when all are in use is the answer 429.
  const over = live.length - max + 1;
  if ((await ctx.sandboxActivity.release(live, over)) >= over) return;
  throw new QuotaError(
    'sandbox_quota_exceeded',
    `${live.length} of your projects are running their app and in use (open in the IDE, previewed or generating), ` +
      `the most this server allows per user (${max}); close one of them and try again`,
  );
}
