import type {
  AdminUser,
  AdminUsers,
  ApiKey,
  FileContent,
  FileEntry,
  FilesChanged,
  Message,
  Models,
  Project,
  RestoreResult,
  SetModelsBody,
  UpdateUserBody,
  UsageTotals,
  Version,
  VersionDetail,
  VersionFileContent,
} from '@lathe/protocol';
import createClient from 'openapi-fetch';
import type { paths } from './api-schema';

/** A failed API call, carrying the server's `{ error: { code, message } }` when it sent one. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => null);
  // better-auth answers `{ code, message }`; the rest of the API `{ error: { code, message } }`.
  const info = isRecord(body) && isRecord(body.error) ? body.error : body;
  if (isRecord(info) && typeof info.message === 'string') {
    return new ApiError(res.status, typeof info.code === 'string' ? info.code : `http_${res.status}`, info.message);
  }
  return new ApiError(res.status, `http_${res.status}`, res.statusText || `Request failed (${res.status})`);
}

/** Same-origin JSON request; the session cookie rides along. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  /** Lathe's field on better-auth's user: admins see the Admin page. */
  role?: 'admin' | 'user';
}
export interface Session {
  user: SessionUser;
}

const client = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

/** Unwraps an openapi-fetch result: the typed body, or an ApiError carrying the server's code. */
async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const info = isRecord(error) && isRecord(error.error) ? error.error : null;
  if (info && typeof info.message === 'string') {
    throw new ApiError(response.status, typeof info.code === 'string' ? info.code : `http_${response.status}`, info.message);
  }
  throw new ApiError(response.status, `http_${response.status}`, response.statusText || `Request failed (${response.status})`);
}

const byId = (id: string) => ({ params: { path: { id } } });

export const api = {
  // better-auth's endpoints are not part of the OpenAPI document.
  session: () => request<Session | null>('GET', '/api/auth/get-session'),
  signIn: (email: string, password: string) => request<unknown>('POST', '/api/auth/sign-in/email', { email, password }),
  signUp: (name: string, email: string, password: string) => request<unknown>('POST', '/api/auth/sign-up/email', { name, email, password }),
  signOut: () => request<unknown>('POST', '/api/auth/sign-out', {}),

  projects: (): Promise<Project[]> => ok(client.GET('/api/projects')),
  project: (id: string): Promise<Project> => ok(client.GET('/api/projects/{id}', byId(id))),
  createProject: (prompt: string): Promise<Project> => ok(client.POST('/api/projects', { body: { prompt } })),
  renameProject: (id: string, name: string): Promise<Project> => ok(client.PATCH('/api/projects/{id}', { ...byId(id), body: { name } })),
  files: (id: string): Promise<FileEntry[]> => ok(client.GET('/api/projects/{id}/files', byId(id))),
  file: (id: string, path: string): Promise<FileContent> =>
    ok(client.GET('/api/projects/{id}/file', { params: { path: { id }, query: { path } } })),
  writeFile: (id: string, path: string, content: string): Promise<FileEntry> =>
    ok(client.PUT('/api/projects/{id}/file', { ...byId(id), body: { path, content } })),
  createEntry: (id: string, path: string, kind: 'file' | 'folder'): Promise<FilesChanged> =>
    ok(client.POST('/api/projects/{id}/files', { ...byId(id), body: { path, kind } })),
  uploadFile: (id: string, path: string, content: string, overwrite: boolean): Promise<{ file: FileEntry; changes: FilesChanged }> =>
    ok(client.POST('/api/projects/{id}/files/upload', { ...byId(id), body: { path, content, overwrite } })),
  moveEntry: (id: string, from: string, to: string): Promise<FilesChanged> =>
    ok(client.POST('/api/projects/{id}/files/move', { ...byId(id), body: { from, to } })),
  deleteEntry: (id: string, path: string): Promise<FilesChanged> =>
    ok(client.DELETE('/api/projects/{id}/files', { params: { path: { id }, query: { path } } })),
  messages: (id: string): Promise<Message[]> => ok(client.GET('/api/projects/{id}/messages', byId(id))),
  sendMessage: (id: string, text: string) => ok(client.POST('/api/projects/{id}/messages', { ...byId(id), body: { text } })),
  cancel: (id: string) => ok(client.POST('/api/projects/{id}/cancel', byId(id))),
  rotatePreview: (id: string): Promise<Project> => ok(client.POST('/api/projects/{id}/preview-token', byId(id))),
  /** A one-time link that signs this browser in to the project's private preview. */
  previewTicket: (id: string): Promise<{ url: string; expiresAt: string }> =>
    ok(client.POST('/api/projects/{id}/preview-ticket', byId(id))),
  downloadUrl: (id: string) => `/api/projects/${encodeURIComponent(id)}/download`,

  versions: (id: string): Promise<Version[]> => ok(client.GET('/api/projects/{id}/versions', byId(id))),
  version: (id: string, seq: number): Promise<VersionDetail> =>
    ok(client.GET('/api/projects/{id}/versions/{seq}', { params: { path: { id, seq } } })),
  versionFile: (id: string, seq: number, path: string): Promise<VersionFileContent> =>
    ok(client.GET('/api/projects/{id}/versions/{seq}/file', { params: { path: { id, seq }, query: { path } } })),
  restoreVersion: (id: string, seq: number): Promise<RestoreResult> =>
    ok(client.POST('/api/projects/{id}/versions/{seq}/restore', { params: { path: { id, seq } } })),
  versionDownloadUrl: (id: string, seq: number) => `/api/projects/${encodeURIComponent(id)}/versions/${seq}/download`,

  keys: (): Promise<ApiKey[]> => ok(client.GET('/api/keys')),
  addKey: (provider: string, key: string): Promise<ApiKey> => ok(client.POST('/api/keys', { body: { provider, key } })),
  deleteKey: (keyId: string) => ok(client.DELETE('/api/keys/{keyId}', { params: { path: { keyId } } })),
  models: (): Promise<Models> => ok(client.GET('/api/models')),
  projectUsage: (id: string): Promise<UsageTotals> => ok(client.GET('/api/projects/{id}/usage', byId(id))),
  setModels: (body: SetModelsBody): Promise<Models> => ok(client.PUT('/api/models', { body })),

  adminUsers: (): Promise<AdminUsers> => ok(client.GET('/api/admin/users')),
  updateUser: (userId: string, body: UpdateUserBody): Promise<AdminUser> =>
    ok(client.PATCH('/api/admin/users/{userId}', { params: { path: { userId } }, body })),
};
