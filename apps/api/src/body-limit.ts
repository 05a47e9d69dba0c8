/**
 * Request bodies are counted as they stream in, so a chunked body (no Content-Length) or one whose
 * Content-Length lies cannot make the server parse more than the limit.
 */

export type LimitedBody = { ok: true; request: Request } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * The request with its body read into memory, or `too_large` as soon as the body passes
 * `limit` bytes (the rest is then drained up to `drainLimit`, so the client reads the answer
 * instead of a reset connection, and no further).
 */
export async function limitBody(request: Request, limit: number, drainLimit: number): Promise<LimitedBody> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (!request.body) return { ok: true, request };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooLarge = declared > limit;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) tooLarge = true;
      if (tooLarge) {
        if (total > drainLimit) break;
        continue;
      }
      chunks.push(value);
    }
  } catch {
    // The client went away mid-body: whatever it sent is incomplete, so it is not a request.
    return { ok: false, reason: 'aborted' };
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (tooLarge) return { ok: false, reason: 'too_large' };
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const headers = new Headers(request.headers);
  headers.delete('transfer-encoding');
  headers.set('content-length', String(total));
  return { ok: true, request: new Request(request.url, { method: request.method, headers, body, signal: request.signal }) };
}
