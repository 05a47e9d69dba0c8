/**
 * Headers on every response of the IDE's origin (pages, API, errors; never previews, which the
 * IDE must be able to frame and which belong to the generated app): no framing by other sites
 * (clickjacking), no MIME sniffing of API or file responses, and no full URLs leaked as Referer.
 */
const IDE_HEADERS: [string, string][] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['referrer-policy', 'strict-origin-when-cross-origin'],
];
const FRAME_ANCESTORS = "frame-ancestors 'self'";

export function withIdeHeaders(response: Response): Response {
  let out = response;
  try {
    apply(out.headers);
  } catch {
    // Some responses (a fetch's, a static file's) may have immutable headers: copy, then set.
    out = new Response(response.body, response);
    apply(out.headers);
  }
  return out;
}

function apply(headers: Headers): void {
  for (const [name, value] of IDE_HEADERS) if (!headers.has(name)) headers.set(name, value);
  // A page's own policy stays; a second policy that only restricts framing combines with it.
  if (!/frame-ancestors/i.test(headers.get('content-security-policy') ?? '')) headers.append('content-security-policy', FRAME_ANCESTORS);
}
