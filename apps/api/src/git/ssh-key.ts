import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

export interface SshKeyPair {
  /** `ssh-ed25519 AAAA… comment`, to paste into GitHub, GitLab or Gitea. */
  publicKey: string;
  /** The private key in OpenSSH format (unencrypted: the caller encrypts it at rest). */
  privateKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** An SSH wire-format string: length then bytes. */
function str(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([u32(bytes.length), bytes]);
}

/**
 * A new ed25519 key pair in OpenSSH formats, made with node:crypto (no ssh-keygen, no temporary
 * file holding the private key). Layout of the private key: PROTOCOL.key in OpenSSH's sources.
 */
export function generateSshKeyPair(comment: string): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const safeComment = comment.replace(/[^\x20-\x7e]/g, '').slice(0, 100);
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let section = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str(safeComment)]);
  const padding: number[] = [];
  for (let i = 1; (section.length + padding.length) % 8 !== 0; i++) padding.push(i);
  section = Buffer.concat([section, Buffer.from(padding)]);
  const blob = Buffer.concat([Buffer.from('openssh-key-v1\0'), str('none'), str('none'), str(''), u32(1), str(pubBlob), str(section)]);
  const body = blob
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .trimEnd();
  return {
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')}${safeComment ? ` ${safeComment}` : ''}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
    fingerprint: `SHA256:${createHash('sha256').update(pubBlob).digest('base64').replace(/=+$/, '')}`,
  };
}
