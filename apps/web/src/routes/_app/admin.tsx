import type { AdminUser, Quotas, UpdateUserBody } from '@lathe/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createFileRoute, Link } from '@tanstack/react-router';
import { AccountControls } from '../../components/account-controls';
import { IconLogo } from '../../components/icons';
import { cx, relativeTime, Spinner } from '../../components/ui';
import { ApiError, api } from '../../lib/api';
import { adminUsersQuery } from '../../lib/queries';

export const Route = createFileRoute('/_app/admin')({
  head: () => ({ meta: [{ title: 'Users · Lathe' }] }),
  component: AdminPage,
});

const POLICY: Record<string, string> = {
  open: 'Anyone who reaches this server can create an account.',
  approval: 'New accounts wait for an administrator to approve them.',
  closed: 'Sign-up is closed: only administrators can let people in.',
};

const STATUS_STYLE: Record<AdminUser['status'], { label: string; className: string }> = {
  pending: { label: 'Waiting for approval', className: 'text-warn' },
  active: { label: 'Active', className: 'text-ok' },
  disabled: { label: 'Disabled', className: 'text-bad' },
};

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
}

/** "3 / 50", or just "3" when the quota is unlimited. */
function ofQuota(value: string | number, quota: string | number | null): string {
  return quota === null ? String(value) : `${value} / ${quota}`;
}

function AdminPage() {
  const { user } = Route.useRouteContext();
  const users = useQuery({ ...adminUsersQuery, refetchInterval: 10_000, retry: false });

  return (
    <div className="min-h-screen bg-canvas">
      <header className="sticky top-0 z-10 border-b border-line bg-canvas/80 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-6">
          <Link to="/" className="flex items-center gap-3">
            <span className="grid size-7 place-items-center rounded-lg bg-accent text-accent-fg">
              <IconLogo width={15} height={15} />
            </span>
            <span className="font-semibold tracking-tight">Lathe</span>
          </Link>
          <span className="text-faint">/</span>
          <span className="text-sm font-medium">Users</span>
          <span className="ml-auto mr-2 hidden text-sm text-muted sm:inline">{user.email}</span>
          <AccountControls />
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-10">
        <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
        {users.isPending && (
          <p className="mt-6 flex items-center gap-2 text-sm text-muted">
            <Spinner /> Loading users…
          </p>
        )}
        {users.error && (
          <p role="alert" className="mt-6 rounded-lg border border-bad/30 bg-bad/10 px-3 py-2 text-sm text-bad">
            {users.error instanceof ApiError && users.error.status === 403 ? 'Only administrators can see this page.' : users.error.message}
          </p>
        )}
        {users.data && (
          <>
            <p className="mt-2 text-sm text-muted">{POLICY[users.data.signup]}</p>
            <QuotaLine quotas={users.data.quotas} />
            <UserTable users={users.data.users} quotas={users.data.quotas} selfId={user.id} />
          </>
        )}
      </main>
    </div>
  );
}

function QuotaLine({ quotas }: { quotas: Quotas }) {
  const item = (label: string, value: string | null) => `${label}: ${value ?? 'unlimited'}`;
  return (
    <p className="mt-1 text-xs text-faint">
      Per user —{' '}
      {[
        item('projects', quotas.projects === null ? null : String(quotas.projects)),
        item('running apps', quotas.liveSandboxes === null ? null : String(quotas.liveSandboxes)),
        item('storage', quotas.storageBytes === null ? null : megabytes(quotas.storageBytes)),
        item('tokens a month', quotas.monthlyTokens === null ? null : quotas.monthlyTokens.toLocaleString('en-US')),
      ].join(' · ')}
    </p>
  );
}

function UserTable({ users, quotas, selfId }: { users: AdminUser[]; quotas: Quotas; selfId: string }) {
  return (
    <div className="mt-6 overflow-x-auto rounded-2xl border border-line bg-surface">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-line text-xs text-muted">
          <tr>
            <th className="px-4 py-3 font-medium">Account</th>
            <th className="px-4 py-3 font-medium">Status</th>
            <th className="whitespace-nowrap px-4 py-3 text-right font-medium">Projects</th>
            <th className="whitespace-nowrap px-4 py-3 text-right font-medium">Running apps</th>
            <th className="whitespace-nowrap px-4 py-3 text-right font-medium">Storage</th>
            <th className="whitespace-nowrap px-4 py-3 text-right font-medium">Tokens this month</th>
            <th className="px-4 py-3 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <UserRow key={u.id} user={u} quotas={quotas} self={u.id === selfId} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UserRow({ user, quotas, self }: { user: AdminUser; quotas: Quotas; self: boolean }) {
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (body: UpdateUserBody) => api.updateUser(user.id, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: adminUsersQuery.queryKey }),
  });
  const status = STATUS_STYLE[user.status];
  const action = (label: string, body: UpdateUserBody, danger = false) => (
    <button
      type="button"
      disabled={update.isPending}
      onClick={() => update.mutate(body)}
      aria-label={`${label}: ${user.email}`}
      className={cx(
        'rounded-md border border-line px-2 py-1 text-xs font-medium transition hover:bg-raised disabled:opacity-50',
        danger ? 'text-bad' : 'text-fg',
      )}
    >
      {label}
    </button>
  );
  return (
    <tr className="border-b border-line last:border-0" data-user={user.email}>
      <td className="px-4 py-3">
        <div className="font-medium">
          {user.name}
          {user.role === 'admin' && (
            <span className="ml-2 rounded-full bg-accent/15 px-2 py-0.5 text-xs font-medium text-accent">admin</span>
          )}
        </div>
        <div className="text-xs text-muted">
          {user.email} · joined {relativeTime(user.createdAt)}
        </div>
      </td>
      <td className={cx('px-4 py-3 text-xs font-medium', status.className)}>{status.label}</td>
      <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums">{ofQuota(user.projects, quotas.projects)}</td>
      <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums">{ofQuota(user.liveSandboxes, quotas.liveSandboxes)}</td>
      <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums">
        {ofQuota(megabytes(user.storageBytes), quotas.storageBytes === null ? null : megabytes(quotas.storageBytes))}
      </td>
      <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums">
        {ofQuota(user.tokensThisMonth.toLocaleString('en-US'), quotas.monthlyTokens?.toLocaleString('en-US') ?? null)}
        {user.costUsdThisMonth > 0 && <div className="text-xs text-muted">${user.costUsdThisMonth.toFixed(2)}</div>}
      </td>
      <td className="px-4 py-3">
        {self ? (
          <span className="text-xs text-faint">you</span>
        ) : (
          <div className="flex flex-wrap justify-end gap-2">
            {user.status === 'pending' && action('Approve', { status: 'active' })}
            {user.status === 'disabled' && action('Enable', { status: 'active' })}
            {user.status !== 'disabled' && action('Disable', { status: 'disabled' }, true)}
            {user.role === 'admin' ? action('Remove admin', { role: 'user' }) : action('Make admin', { role: 'admin' })}
          </div>
        )}
        {update.error && (
          <p role="alert" className="mt-1 text-right text-xs text-bad">
            {update.error.message}
          </p>
        )}
      </td>
    </tr>
  );
}
