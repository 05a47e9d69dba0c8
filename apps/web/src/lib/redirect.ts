/** Only same-site paths are followed after sign-in, so /login?redirect= cannot send users elsewhere. */
export function safeRedirect(target: unknown): string {
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return '/';
  return target;
}

export function validateAuthSearch(search: Record<string, unknown>): { redirect?: string } {
  return typeof search.redirect === 'string' ? { redirect: safeRedirect(search.redirect) } : {};
}
