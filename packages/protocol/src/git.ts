import { type Static, Type } from '@sinclair/typebox';

/** The stored HTTPS token, masked: never the token itself. */
export const GitHttpsCredentialSchema = Type.Object({
  username: Type.String({ description: 'user name sent with the token' }),
  /** e.g. "…a1b2". */
  masked: Type.String(),
  createdAt: Type.String(),
});
export type GitHttpsCredential = Static<typeof GitHttpsCredentialSchema>;

/** The SSH key pair's public half; the private key never leaves the server. */
export const GitSshKeySchema = Type.Object({
  publicKey: Type.String({ description: 'OpenSSH public key line, to paste into GitHub, GitLab or Gitea' }),
  fingerprint: Type.String({ description: 'SHA256 fingerprint' }),
  createdAt: Type.String(),
});
export type GitSshKey = Static<typeof GitSshKeySchema>;

export const GitCredentialsSchema = Type.Object({
  https: Type.Union([GitHttpsCredentialSchema, Type.Null()]),
  ssh: Type.Union([GitSshKeySchema, Type.Null()]),
});
export type GitCredentials = Static<typeof GitCredentialsSchema>;

export const PutGitHttpsBodySchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 1000 }),
  username: Type.Optional(Type.String({ maxLength: 200, description: 'empty or absent: x-access-token' })),
});
export type PutGitHttpsBody = Static<typeof PutGitHttpsBodySchema>;

export const GitCommitSchema = Type.Object({
  sha: Type.String(),
  message: Type.String(),
  authorName: Type.String(),
  authorEmail: Type.String(),
  date: Type.String(),
});
export type GitCommit = Static<typeof GitCommitSchema>;

export const ProjectGitSchema = Type.Object({
  remoteUrl: Type.Union([Type.String(), Type.Null()]),
  /** Which credential the remote needs. */
  transport: Type.Union([Type.Literal('https'), Type.Literal('ssh'), Type.Null()]),
  lastPushedAt: Type.Union([Type.String(), Type.Null()]),
  lastPushedCommit: Type.Union([Type.String(), Type.Null()]),
  branch: Type.String(),
  /** Total commits on the branch. */
  commitCount: Type.Integer({ minimum: 0 }),
  /** The newest commits, newest first (at most 50). */
  commits: Type.Array(GitCommitSchema),
});
export type ProjectGit = Static<typeof ProjectGitSchema>;

export const PutGitRemoteBodySchema = Type.Object({
  url: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'https://host/owner/repo.git, ssh://git@host/owner/repo.git or git@host:owner/repo.git',
  }),
});
export type PutGitRemoteBody = Static<typeof PutGitRemoteBodySchema>;

export const GitPushBodySchema = Type.Object({
  force: Type.Optional(Type.Boolean({ description: 'replace the remote branch even if it has commits the project lacks' })),
});
export type GitPushBody = Static<typeof GitPushBodySchema>;

export const GitPushResultSchema = Type.Object({
  commit: Type.String(),
  commits: Type.Integer({ minimum: 0 }),
  remoteUrl: Type.String(),
  branch: Type.String(),
  pushedAt: Type.String(),
});
export type GitPushResult = Static<typeof GitPushResultSchema>;
