/** The innermost driver error: drizzle wraps driver errors, Node wraps multi-address failures. */
function rootCause(e: unknown): unknown {
  let current = e;
  for (let depth = 0; depth < 10; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) {
      current = current.errors[0];
    } else if (current instanceof Error && current.cause !== undefined && current.cause !== current) {
      current = current.cause;
    } else {
      break;
    }
  }
  return current;
}

function codeOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

/** The SQLSTATE (or Node error code) of a failed query, looking through wrappers. */
export function driverErrorCode(e: unknown): string | undefined {
  let current = e;
  for (let depth = 0; depth < 10 && current !== undefined; depth++) {
    const code = codeOf(current);
    if (code) return code;
    current = current instanceof Error ? current.cause : undefined;
  }
  return codeOf(rootCause(e));
}

const FRIENDLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running and listening on that port?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved',
  CONNECT_TIMEOUT: 'connection timed out',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset by the server',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed',
};

/** One human line describing a driver error, never a stack trace. */
export function describeDriverError(e: unknown): string {
  const root = rootCause(e);
  const code = codeOf(root);
  if (code && FRIENDLY[code]) return FRIENDLY[code];
  const message = root instanceof Error ? root.message : String(root);
  const line = message.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  return line.trim();
}
