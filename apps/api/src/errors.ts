import { type ErrorBody, LatheError } from '@lathe/protocol';

/** A LatheError that asks the client to come back later. */
export class RateLimitedError extends LatheError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code: 'rate_limited' | 'token_budget_exceeded' = 'rate_limited',
  ) {
    super(code, message);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  file_busy: 409,
  path_exists: 409,
  busy: 409,
  agent_busy: 409,
  invalid_input: 422,
  invalid_package: 422,
  payload_too_large: 413,
  file_too_large: 413,
  project_too_large: 413,
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 422,
  invalid_path: 422,
  unsafe_path: 422,
  too_many_files: 422,
  unknown_provider: 422,
  rate_limited: 429,
  token_budget_exceeded: 429,
  project_quota_exceeded: 429,
  sandbox_quota_exceeded: 429,
  storage_quota_exceeded: 429,
  model_not_allowed: 422,
  git_invalid_remote: 422,
  git_remote_missing: 422,
  git_credential_missing: 422,
  git_credential_mismatch: 422,
  git_auth_failed: 422,
  git_remote_unreachable: 422,
  git_host_key_mismatch: 422,
  git_rejected: 409,
  git_push_busy: 409,
  git_nothing_to_push: 409,
  git_unavailable: 503,
  unavailable: 503,
  shutting_down: 503,
};

export function statusFor(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The one JSON error response; 5xx never carry internal messages. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** Turns anything thrown by a handler into the error response, logging what the client doesn't see. */
export function toErrorResponse(e: unknown, log: (line: string) => void): Response {
  if (e instanceof LatheError) {
    const status = statusFor(e.code);
    if (status >= 500) {
      log(`error ${e.code}: ${e.message}`);
      return errorResponse(status, e.code, status === 503 ? e.message : 'internal error');
    }
    const headers: Record<string, string> = e instanceof RateLimitedError ? { 'retry-after': String(e.retryAfterSeconds) } : {};
    return errorResponse(status, e.code, e.message, headers);
  }
  log(`unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return errorResponse(500, 'internal_error', 'internal error');
}
