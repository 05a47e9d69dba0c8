import { queryOptions } from '@tanstack/react-query';
import { api } from './api';

export const sessionQuery = queryOptions({ queryKey: ['session'], queryFn: api.session, staleTime: 60_000 });
export const projectsQuery = queryOptions({ queryKey: ['projects'], queryFn: api.projects });
export const projectQuery = (id: string) => queryOptions({ queryKey: ['project', id], queryFn: () => api.project(id) });
export const filesQuery = (id: string) => queryOptions({ queryKey: ['project', id, 'files'], queryFn: () => api.files(id) });
/** A file's saved text; `version` changes when the agent finishes writing it again. */
export const fileQuery = (id: string, path: string, version: number) =>
  queryOptions({
    queryKey: ['project', id, 'file', path, version],
    queryFn: () => api.file(id, path),
    staleTime: Number.POSITIVE_INFINITY,
  });
export const messagesQuery = (id: string) => queryOptions({ queryKey: ['project', id, 'messages'], queryFn: () => api.messages(id) });
export const projectUsageQuery = (id: string) => queryOptions({ queryKey: ['project', id, 'usage'], queryFn: () => api.projectUsage(id) });
export const modelsQuery = queryOptions({ queryKey: ['models'], queryFn: api.models, staleTime: 60_000 });
export const keysQuery = queryOptions({ queryKey: ['keys'], queryFn: api.keys });
export const adminUsersQuery = queryOptions({ queryKey: ['admin', 'users'], queryFn: api.adminUsers });
export const versionsQuery = (id: string) => queryOptions({ queryKey: ['project', id, 'versions'], queryFn: () => api.versions(id) });
export const versionQuery = (id: string, seq: number) =>
  queryOptions({ queryKey: ['project', id, 'versions', seq], queryFn: () => api.version(id, seq) });
/** A file as a version holds it: versions never change, so it is never stale. */
export const versionFileQuery = (id: string, seq: number, path: string) =>
  queryOptions({
    queryKey: ['project', id, 'version-file', seq, path],
    queryFn: () => api.versionFile(id, seq, path),
    staleTime: Number.POSITIVE_INFINITY,
  });
