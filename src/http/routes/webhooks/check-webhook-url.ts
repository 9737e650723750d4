import { invalidInput } from '../../../domain/validation-errors.ts'
import { WebhookTargetError, type TargetGuard } from '../../../domain/webhook-target-guard.ts'

/** Create-time SSRF check; delivery checks again, since a name can change what it resolves to. */
export async function checkWebhookUrl(guard: TargetGuard, url: string): Promise<string> {
  try {
    return (await guard.assertAllowed(url)).href
  } catch (error) {
    if (error instanceof WebhookTargetError) {
      throw invalidInput('Invalid parameters', [{ path: ['url'], message: error.reason }])
    }
    throw error
  }
}
