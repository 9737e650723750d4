import { useState } from 'preact/hooks'

import { callApi, errorMessage } from '../api.ts'
import { plural } from '../format.ts'
import { useSession } from '../session.ts'

/** Deliveries retried per call: small enough that the progress moves. */
const batchSize = 25

interface RetryFailedAnswer {
  deliveries_retried: number
  failed_remaining: number
  failed_before: string
}

/** "Retry all failed": batches of /webhooks/deliveries/retry_failed until none is left, with progress. */
export function RetryFailed({ webhookId, failed, onProgress }: { webhookId: string; failed: number; onProgress(): void }) {
  const { apiKey } = useSession()
  const [progress, setProgress] = useState<{ retried: number; total: number; done: boolean } | null>(null)
  const [error, setError] = useState<string | null>(null)

  const run = async (): Promise<void> => {
    setError(null)
    let retried = 0
    let failedBefore: string | undefined
    try {
      for (;;) {
        const answer: RetryFailedAnswer = await callApi(apiKey, '/webhooks/deliveries/retry_failed', {
          webhook_id: webhookId,
          limit: batchSize,
          failed_before: failedBefore,
        })
        failedBefore = answer.failed_before
        retried += answer.deliveries_retried
        const done = answer.failed_remaining === 0 || answer.deliveries_retried === 0
        setProgress({ retried, total: retried + answer.failed_remaining, done })
        onProgress()
        if (done) return
      }
    } catch (caught) {
      setError(errorMessage(caught))
      setProgress((shown) => (shown === null ? null : { ...shown, done: true }))
    }
  }
  const running = progress !== null && !progress.done

  return (
    <div class="retry-failed">
      <button type="button" class="secondary" disabled={running || failed === 0} onClick={() => void run()}>
        {running ? 'Retrying…' : `Retry all failed (${failed.toLocaleString()})`}
      </button>
      {progress !== null && (
        <div role="status" aria-live="polite" class="retry-progress">
          <progress max={Math.max(1, progress.total)} value={progress.retried} aria-label="Failed deliveries retried" />
          <span>
            {progress.done ? 'Done: ' : ''}
            {progress.retried.toLocaleString()} of {plural(progress.total, 'failed delivery', 'failed deliveries')} sent again
          </span>
        </div>
      )}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
