import { useEffect, useState } from 'preact/hooks'

import { callApi, type Delivery, errorMessage, type Webhook } from '../api.ts'
import { DeliveriesList } from '../components/deliveries-list.tsx'
import { Modal } from '../components/modal.tsx'
import { RecoverForm } from '../components/recover-form.tsx'
import { RetryFailed } from '../components/retry-failed.tsx'
import { SecretNotice } from '../components/secret-notice.tsx'
import { LastDelivery, SuccessRate } from '../components/success-rate.tsx'
import { Time } from '../components/time.tsx'
import { navigate, type Route, withParams } from '../route.ts'
import { useHref, useSession } from '../session.ts'
import { parseEventTypes, webhookState } from './webhooks-page.tsx'

export function WebhookPage({ webhookId, route }: { webhookId: string; route: Route }) {
  const { apiKey } = useSession()
  const href = useHref()
  const [webhook, setWebhook] = useState<Webhook | null>(null)
  const [eventTypes, setEventTypes] = useState('')
  const [description, setDescription] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const [newSecret, setNewSecret] = useState<string | null>(null)
  const [confirmingDelete, setConfirmingDelete] = useState(false)
  const [changes, setChanges] = useState(0)

  const show = (next: Webhook): void => {
    setWebhook(next)
    setEventTypes(next.event_types.join(', '))
    setDescription(next.description ?? '')
  }
  const fail = (caught: unknown): void => setError(errorMessage(caught))

  // The stats are re-read with the deliveries, every few seconds.
  useEffect(() => {
    let stopped = false
    const load = (first: boolean): void => {
      callApi<{ webhook: Webhook }>(apiKey, '/webhooks/get', { webhook_id: webhookId })
        .then((body) => {
          if (stopped) return
          if (first) show(body.webhook)
          else setWebhook(body.webhook)
        })
        .catch((caught: unknown) => !stopped && fail(caught))
    }
    load(true)
    const timer = setInterval(() => document.visibilityState === 'visible' && load(false), 3000)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [apiKey, webhookId])

  const update = async (patch: Record<string, unknown>, message: string): Promise<void> => {
    setError(null)
    setSaved(null)
    try {
      const body = await callApi<{ webhook: Webhook }>(apiKey, '/webhooks/update', { webhook_id: webhookId, ...patch })
      show(body.webhook)
      setSaved(message)
    } catch (caught) {
      fail(caught)
    }
  }
  const rotate = async (): Promise<void> => {
    try {
      const body = await callApi<{ webhook: Webhook }>(apiKey, '/webhooks/rotate_secret', { webhook_id: webhookId })
      show(body.webhook)
      // Only a key of scope "all" may rotate, and it is always shown the secret.
      setNewSecret(body.webhook.secret ?? null)
    } catch (caught) {
      fail(caught)
    }
  }
  const sendTest = async (): Promise<void> => {
    setError(null)
    try {
      const { delivery } = await callApi<{ delivery: Delivery }>(apiKey, '/webhooks/send_test_event', { webhook_id: webhookId })
      setSaved(`Test event (${delivery.event_type}) queued`)
      setChanges((count) => count + 1)
      navigate(withParams(route, { delivery: delivery.delivery_id, status: undefined, dcursor: undefined }))
    } catch (caught) {
      fail(caught)
    }
  }
  const remove = async (): Promise<void> => {
    try {
      await callApi(apiKey, '/webhooks/delete', { webhook_id: webhookId })
      navigate(href('webhooks'))
    } catch (caught) {
      setConfirmingDelete(false)
      fail(caught)
    }
  }

  const back = (
    <p>
      <a href={href('webhooks')}>← Webhooks</a>
    </p>
  )
  if (webhook === null) {
    return (
      <>
        {back}
        {error !== null ? <p class="error" role="alert">{error}</p> : <p class="muted">Loading…</p>}
      </>
    )
  }
  const stats = webhook.delivery_stats

  return (
    <>
      {back}
      <h1 class="wrap">{webhook.url}</h1>
      {webhook.description !== null && <p class="description">{webhook.description}</p>}
      {newSecret !== null && <SecretNotice secret={newSecret} onDismiss={() => setNewSecret(null)} />}
      <section class="card" aria-label="Webhook health">
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <span class={`badge badge-${webhookState(webhook)}`}>{webhookState(webhook)}</span>
            {webhook.disabled_reason !== null && <span class="muted"> {webhook.disabled_reason}</span>}
            {webhook.failing_since !== null && (
              <span class="muted">
                {' '}
                since <Time iso={webhook.failing_since} />
              </span>
            )}
          </dd>
          <dt>Success (24 h)</dt>
          <dd>
            <SuccessRate stats={stats} />
          </dd>
          <dt>Last delivery</dt>
          <dd>
            <LastDelivery stats={stats} />
          </dd>
          <dt>Waiting</dt>
          <dd>
            {(stats?.pending_deliveries ?? 0).toLocaleString()} pending, {(stats?.failed_deliveries ?? 0).toLocaleString()} failed
          </dd>
          <dt>Webhook id</dt>
          <dd>
            <code>{webhook.webhook_id}</code>
          </dd>
          <dt>Created</dt>
          <dd>
            <Time iso={webhook.created_at} />
          </dd>
        </dl>
        <div class="actions">
          <button type="button" onClick={() => void sendTest()}>
            Send test event
          </button>
          <RetryFailed webhookId={webhookId} failed={stats?.failed_deliveries ?? 0} onProgress={() => setChanges((count) => count + 1)} />
        </div>
        <p role="status" class="muted">
          {saved ?? ''}
        </p>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      <DeliveriesList webhookId={webhookId} route={route} refreshKey={changes} />
      <section class="card" aria-labelledby="settings-heading">
        <h2 id="settings-heading">Settings</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault()
            void update({ event_types: parseEventTypes(eventTypes), description }, 'Settings saved')
          }}
        >
          <div class="filter-grid">
            <div class="field">
              <label for="edit-description">Description</label>
              <input id="edit-description" maxLength={500} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="edit-event-types">Event types</label>
              <input id="edit-event-types" spellcheck={false} value={eventTypes} onInput={(event) => setEventTypes(event.currentTarget.value)} />
            </div>
          </div>
          <div class="actions">
            <button type="submit">Save settings</button>
            <button
              type="button"
              class="secondary"
              onClick={() => void update({ disabled: !webhook.disabled }, webhook.disabled ? 'Webhook enabled' : 'Webhook disabled')}
            >
              {webhook.disabled ? 'Enable' : 'Disable'}
            </button>
            <button type="button" class="secondary" onClick={() => void rotate()}>
              Rotate secret
            </button>
            <button type="button" class="danger" onClick={() => setConfirmingDelete(true)}>
              Delete
            </button>
          </div>
        </form>
      </section>
      <RecoverForm webhookId={webhookId} />
      {confirmingDelete && (
        <Modal title="Delete this webhook?" onClose={() => setConfirmingDelete(false)}>
          <p>
            Deliveries to <strong>{webhook.url}</strong> stop at once. This cannot be undone.
          </p>
          <div class="actions">
            <button type="button" class="danger" onClick={() => void remove()}>
              Delete webhook
            </button>
            <button type="button" class="secondary" onClick={() => setConfirmingDelete(false)}>
              Cancel
            </button>
          </div>
        </Modal>
      )}
    </>
  )
}
