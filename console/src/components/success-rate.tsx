import type { WebhookStats } from '../api.ts'
import { Time } from './time.tsx'

/** "98.2 % of 57 attempts", over the last 24 hours. */
export function SuccessRate({ stats }: { stats: WebhookStats | undefined }) {
  if (stats === undefined) return <span class="muted">—</span>
  if (stats.success_rate === null) return <span class="muted">no attempts</span>
  const percent = Math.round(stats.success_rate * 1000) / 10
  const tone = percent >= 99 ? 'good' : percent >= 80 ? 'fair' : 'bad'
  return (
    <span class={`rate rate-${tone}`}>
      {percent.toLocaleString()} %<span class="muted"> of {stats.attempts.toLocaleString()}</span>
    </span>
  )
}

/** The newest delivery: when, and the status code of its latest attempt. */
export function LastDelivery({ stats }: { stats: WebhookStats | undefined }) {
  const last = stats?.last_delivery
  if (last === undefined || last === null) return <span class="muted">none yet</span>
  return (
    <span class="last-delivery">
      <span class={`badge badge-${last.status}`}>{last.last_status_code ?? last.status}</span>{' '}
      <Time iso={last.last_attempt_at ?? last.created_at} />
    </span>
  )
}
