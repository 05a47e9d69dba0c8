import type { GitCredentials, GitHttpsCredential, GitPushResult, GitSshKey, ProjectGit } from '@lathe/protocol';
import { request } from './api';

const project = (id: string) => `/api/projects/${encodeURIComponent(id)}/git`;

/** Git credentials (Settings → Git) and a project's remote and pushes. */
export const gitApi = {
  credentials: () => request<GitCredentials>('GET', '/api/git/credentials'),
  setToken: (token: string, username: string) =>
    request<GitHttpsCredential>('PUT', '/api/git/credentials/https', { token, ...(username ? { username } : {}) }),
  deleteToken: () => request<void>('DELETE', '/api/git/credentials/https'),
  generateSshKey: () => request<GitSshKey>('POST', '/api/git/credentials/ssh'),
  deleteSshKey: () => request<void>('DELETE', '/api/git/credentials/ssh'),
  project: (id: string) => request<ProjectGit>('GET', project(id)),
  setRemote: (id: string, url: string) => request<ProjectGit>('PUT', `${project(id)}/remote`, { url }),
  push: (id: string, force: boolean) => request<GitPushResult>('POST', `${project(id)}/push`, force ? { force } : {}),
};

export const gitCredentialsQuery = { queryKey: ['git-credentials'], queryFn: gitApi.credentials } as const;
export const projectGitQuery = (id: string) => ({ queryKey: ['project-git', id], queryFn: () => gitApi.project(id) }) as const;
