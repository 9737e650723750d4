// Webhook secrets and signatures in the Standard Webhooks scheme that Seam uses (through Svix),
// so that `SeamWebhook(secret).verify(body, headers)` from `@seamapi/webhook` accepts them.

import { createHmac, randomBytes } from 'node:crypto'

const secretPrefix = 'whsec_'

/** `whsec_` and the base64 of 32 random bytes, like the secrets Seam issues. */
export function generateWebhookSecret(): string {
  return `${secretPrefix}${randomBytes(32).toString('base64')}`
}

/** `v1,<signature>` for each secret, space-separated: a receiver accepts any one of them. */
export function signPayload(
  secrets: readonly string[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(secretPrefix.length), 'base64')
      const signature = createHmac('sha256', key)
        .update(`${messageId}.${timestampSeconds}.${body}`)
        .digest('base64')
      return `v1,${signature}`
    })
    .join(' ')
}

/** The headers of one delivery attempt: Svix's names and the Standard Webhooks names. */
export function webhookHeaders(
  secrets: readonly string[],
  messageId: string,
  body: string,
  now: Date,
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000)
  const signature = signPayload(secrets, messageId, timestamp, body)
  return {
    'content-type': 'application/json',
    'svix-id': messageId,
    'svix-timestamp': String(timestamp),
    'svix-signature': signature,
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  }
}
