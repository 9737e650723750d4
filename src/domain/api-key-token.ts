import { createHash, randomBytes } from 'node:crypto'

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function randomBase62(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  let result = ''
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && result.length < length) result += base62[byte % 62]
    }
  }
  return result
}

export interface GeneratedToken {
  /** Shown to the user once, never stored. */
  token: string
  /** Stored, so that an operator can tell keys apart. */
  short_token: string
  token_hash: string
}

/**
 * Tokens look like Seam's API keys: `seam_<id>_<secret>`. The id starts with `k` because the
 * SDK treats `seam_at...`, `seam_cst...` and `seam_pk...` as other kinds of credential.
 * 190 random bits make a slow hash unnecessary: SHA-256 is enough to keep stolen hashes useless.
 */
export function generateApiKeyToken(): GeneratedToken {
  const shortToken = `seam_k${randomBase62(7)}`
  const token = `${shortToken}_${randomBase62(32)}`
  return { token, short_token: shortToken, token_hash: hashApiKeyToken(token) }
}

export function hashApiKeyToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
