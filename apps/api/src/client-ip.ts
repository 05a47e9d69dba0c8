import { isIP } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`, lower case; null when it is not an IP address. */
export function normalizeIp(raw: string): string | null {
  let ip = raw.trim().toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  if (mapped?.[1]) ip = mapped[1];
  return isIP(ip) ? ip : null;
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy, in which case the
 * last X-Forwarded-For entry that is not itself a trusted proxy (earlier entries are whatever the
 * client wrote, so they are never believed).
 */
export function clientIp(socketIp: string | null, forwardedFor: string | null, trustedProxies: ReadonlySet<string>): string {
  const peer = socketIp ? (normalizeIp(socketIp) ?? socketIp) : 'unknown';
  if (!trustedProxies.has(peer) || !forwardedFor) return peer;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i] ?? '');
    if (hop === null) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}
