import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Web passwords of users (PUT /v2/user_auth), stored as `pvt_password_hash`. scrypt (RFC 7914),
 * not the MD5 of "username:password" Kazoo keeps: a stolen database must not hand out logins.
 * Format: scrypt$N$r$p$salt-base64$hash-base64, so the cost can rise later without
 * invalidating the hashes already stored.
 */
const COST: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>> = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, o: typeof COST): Promise<Buffer> {
  return new Promise((res, rej) => {
    scrypt(password, salt, KEY_LEN, { ...o, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? rej(err) : res(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash no password matches, verified when the user does not exist so timing tells nothing. */
const DECOY = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_LEN).toString('base64')}`;

/** True when `password` matches `stored`; a missing or malformed hash costs the same and is false. */
export async function verifyPassword(password: string, stored: unknown): Promise<boolean> {
  const parts = (typeof stored === 'string' ? stored : DECOY).split('$');
  const known = parts.length === 6 && parts[0] === 'scrypt';
  const [, n, r, p, salt, hash] = known ? parts : DECOY.split('$');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const expected = Buffer.from(hash, 'base64');
  if (expected.length !== KEY_LEN || !(cost.N > 1 && cost.N <= 1 << 20 && cost.r >= 1 && cost.r <= 32 && cost.p === 1)) {
    await derive(password, Buffer.alloc(16), COST);
    return false;
  }
  const key = await derive(password, Buffer.from(salt, 'base64'), cost);
  return timingSafeEqual(key, expected) && known && typeof stored === 'string';
}
