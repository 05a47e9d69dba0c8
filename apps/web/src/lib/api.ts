import type { ApiKey, FileContent, FileEntry, Message, Models, Project } from '@lathe/protocol';

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
}
export interface Session {
  user: SessionUser;
}

const enc = encodeURIComponent;

export const api = {
  session: () => request<Session | null>('GET', '/api/auth/get-session'),
  signIn: (email: string, password: string) => request<unknown>('POST', '/api/auth/sign-in/email', { email, password }),
  signUp: (name: string, email: string, password: string) => request<unknown>('POST', '/api/auth/sign-up/email', { name, email, password }),
  signOut: () => request<unknown>('POST', '/api/auth/sign-out', {}),

  projects: () => request<Project[]>('GET', '/api/projects'),
  project: (id: string) => request<Project>('GET', `/api/projects/${enc(id)}`),
  createProject: (prompt: string) => request<Project>('POST', '/api/projects', { prompt }),
  renameProject: (id: string, name: string) => request<Project>('PATCH', `/api/projects/${enc(id)}`, { name }),
  deleteProject: (id: string) => request<unknown>('DELETE', `/api/projects/${enc(id)}`),
  files: (id: string) => request<FileEntry[]>('GET', `/api/projects/${enc(id)}/files`),
  file: (id: string, path: string) => request<FileContent>('GET', `/api/projects/${enc(id)}/file?path=${enc(path)}`),
  writeFile: (id: string, path: string, content: string) => request<FileEntry>('PUT', `/api/projects/${enc(id)}/file`, { path, content }),
  messages: (id: string) => request<Message[]>('GET', `/api/projects/${enc(id)}/messages`),
  sendMessage: (id: string, text: string) => request<unknown>('POST', `/api/projects/${enc(id)}/messages`, { text }),
  cancel: (id: string) => request<unknown>('POST', `/api/projects/${enc(id)}/cancel`),
  downloadUrl: (id: string) => `/api/projects/${enc(id)}/download`,

  keys: () => request<ApiKey[]>('GET', '/api/keys'),
  addKey: (provider: string, key: string) => request<ApiKey>('POST', '/api/keys', { provider, key }),
  deleteKey: (id: string) => request<unknown>('DELETE', `/api/keys/${enc(id)}`),
  models: () => request<Models>('GET', '/api/models'),
};
