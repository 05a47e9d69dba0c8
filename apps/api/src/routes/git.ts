import type { GitCredentialInfo } from '@lathe/db';
import {
  type GitCredentials,
  GitCredentialsSchema,
  GitHttpsCredentialSchema,
  GitPushBodySchema,
  GitPushResultSchema,
  GitSshKeySchema,
  LatheError,
  type ProjectGit,
  ProjectGitSchema,
  PutGitHttpsBodySchema,
  PutGitRemoteBodySchema,
} from '@lathe/protocol';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { type AppContext, ownedProject } from '../context';
import { maskKey, seal } from '../crypto';
import { checkRemoteUrl } from '../git/remote-url';
import { BRANCH } from '../git/repository';
import { DEFAULT_HTTPS_USERNAME } from '../git/service';
import { generateSshKeyPair } from '../git/ssh-key';
import { authed, E, ProjectParams } from './common';

const PROJECT_COMMITS_SHOWN = 50;

function httpsInfo(row: GitCredentialInfo) {
  return { username: row.username ?? DEFAULT_HTTPS_USERNAME, masked: maskKey('', row.last4 ?? ''), createdAt: row.createdAt };
}

function sshInfo(row: GitCredentialInfo) {
  return { publicKey: row.publicKey ?? '', fingerprint: row.fingerprint ?? '', createdAt: row.createdAt };
}

/** Per-user git credentials (Settings → Git) and per-project remotes and pushes. */
export function gitRoutes(ctx: AppContext) {
  const detail = (summary: string) => ({ tags: ['git'], summary, ...authed });
  const noContent = { 204: Type.Null({ description: 'deleted' }) };

  const projectGit = async (projectId: string): Promise<ProjectGit> => {
    const remote = await ctx.git.opts.git.remotes.get(projectId);
    const checked = remote ? checkRemoteUrl(remote.url) : null;
    return {
      remoteUrl: remote?.url ?? null,
      transport: checked?.ok ? checked.remote.transport : null,
      lastPushedAt: remote?.lastPushedAt ?? null,
      lastPushedCommit: remote?.lastPushedCommit ?? null,
      branch: BRANCH,
      commitCount: await ctx.git.repositories.count(projectId),
      commits: await ctx.git.repositories.log(projectId, PROJECT_COMMITS_SHOWN),
    };
  };

  const credentials = new Elysia({ prefix: '/api/git/credentials' })
    .get(
      '',
      async ({ request }): Promise<GitCredentials> => {
        const user = await ctx.sessions.require(request.headers);
        const rows = await ctx.git.opts.git.credentials.list(user.id);
        const https = rows.find((r) => r.kind === 'https');
        const ssh = rows.find((r) => r.kind === 'ssh');
        return { https: https ? httpsInfo(https) : null, ssh: ssh ? sshInfo(ssh) : null };
      },
      {
        response: { 200: GitCredentialsSchema, 401: E[401] },
        detail: detail('Your git credentials: the HTTPS token masked, the SSH public key'),
      },
    )
    .put(
      '/https',
      async ({ request, body }) => {
        const user = await ctx.sessions.require(request.headers);
        const token = body.token.trim();
        if (token.length < 8 || /\s/.test(token))
          throw new LatheError('validation_failed', 'the token must be at least 8 characters without spaces');
        const username = body.username?.trim() || null;
        if (username !== null && !/^[A-Za-z0-9._@+-]{1,200}$/.test(username))
          throw new LatheError('validation_failed', 'the user name may hold letters, digits and . _ @ + - only');
        const row = await ctx.git.opts.git.credentials.put(user.id, {
          kind: 'https',
          username,
          last4: token.slice(-4),
          ...seal(token, ctx.encryptionKey),
        });
        return httpsInfo(row);
      },
      {
        body: PutGitHttpsBodySchema,
        response: { 200: GitHttpsCredentialSchema, 401: E[401], 422: E[422] },
        detail: detail('Store an HTTPS token for pushing (encrypted at rest; replaces your earlier token)'),
      },
    )
    .delete(
      '/https',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        if (!(await ctx.git.opts.git.credentials.delete(user.id, 'https'))) throw new LatheError('not_found', 'no HTTPS token stored');
        return new Response(null, { status: 204 });
      },
      { response: { ...noContent, 401: E[401], 404: E[404] }, detail: detail('Delete your HTTPS token') },
    )
    .post(
      '/ssh',
      async ({ request, status }) => {
        const user = await ctx.sessions.require(request.headers);
        const pair = generateSshKeyPair(`lathe:${user.email}`);
        const row = await ctx.git.opts.git.credentials.put(user.id, {
          kind: 'ssh',
          publicKey: pair.publicKey,
          fingerprint: pair.fingerprint,
          ...seal(pair.privateKey, ctx.encryptionKey),
        });
        return status(201, sshInfo(row));
      },
      {
        response: { 201: GitSshKeySchema, 401: E[401] },
        detail: detail(
          'Generate an ed25519 SSH key pair (replaces your earlier one); returns the public key, the private key stays encrypted on the server',
        ),
      },
    )
    .delete(
      '/ssh',
      async ({ request }) => {
        const user = await ctx.sessions.require(request.headers);
        if (!(await ctx.git.opts.git.credentials.delete(user.id, 'ssh'))) throw new LatheError('not_found', 'no SSH key stored');
        return new Response(null, { status: 204 });
      },
      { response: { ...noContent, 401: E[401], 404: E[404] }, detail: detail('Delete your SSH key pair') },
    );

  const projects = new Elysia({ prefix: '/api/projects/:id/git' })
    .get(
      '',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        return projectGit(project.id);
      },
      {
        params: ProjectParams,
        response: { 200: ProjectGitSchema, 401: E[401], 404: E[404] },
        detail: detail("The project's git remote, last push and newest commits"),
      },
    )
    .put(
      '/remote',
      async ({ request, params, body }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        const checked = checkRemoteUrl(body.url);
        if (!checked.ok) throw new LatheError('git_invalid_remote', checked.message);
        await ctx.git.opts.git.remotes.set(project.id, checked.remote.url);
        return projectGit(project.id);
      },
      {
        params: ProjectParams,
        body: PutGitRemoteBodySchema,
        response: { 200: ProjectGitSchema, 401: E[401], 404: E[404], 422: E[422] },
        detail: detail('Set the git remote to push to (https://…, ssh://… or git@host:path)'),
      },
    )
    .delete(
      '/remote',
      async ({ request, params }) => {
        const { project } = await ownedProject(ctx, request.headers, params.id);
        if (!(await ctx.git.opts.git.remotes.delete(project.id))) throw new LatheError('not_found', 'no remote set');
        return new Response(null, { status: 204 });
      },
      { params: ProjectParams, response: { ...noContent, 401: E[401], 404: E[404] }, detail: detail('Forget the git remote') },
    )
    .post(
      '/push',
      async ({ request, params, body }) => {
        const { user, project } = await ownedProject(ctx, request.headers, params.id);
        const result = await ctx.git.push(project, user.id, body?.force === true);
        return { ...result, branch: BRANCH };
      },
      {
        params: ProjectParams,
        body: Type.Optional(GitPushBodySchema),
        response: { 200: GitPushResultSchema, 401: E[401], 404: E[404], 409: E[409], 422: E[422] },
        detail: detail(
          'Commit pending edits and push the project to its remote with your credential (422 git_auth_failed, git_remote_unreachable, git_credential_missing; 409 git_rejected)',
        ),
      },
    );

  return new Elysia().use(credentials).use(projects);
}
