import { createHash, randomBytes, randomInt } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `prefix` and 16 random base-62 characters: `u_…`, `thr_…`, `ntf_…`. */
export function randomId(prefix: string, length = 16): string {
  let id = prefix;
  for (let index = 0; index < length; index += 1) {
    id += alphabet[randomInt(alphabet.length)];
  }
  return id;
}

/** A user's invite code: six of A–Z and 0–9. */
export function newInviteCode(): string {
  let code = '';
  for (let index = 0; index < 6; index += 1) {
    code += alphabet[randomInt(10, 36)];
  }
  return code;
}

/** An opaque token: its prefix and 32 random bytes. */
export const newOpaqueToken = (prefix: string) =>
  `${prefix}${randomBytes(32).toString('base64url')}`;

/** How a token is stored: its SHA-256, so a copy of the database holds no usable one. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
