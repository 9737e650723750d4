import { useEffect, useState } from 'preact/hooks'

import { callApi, errorMessage, type Webhook } from '../api.ts'
import { DeliveriesList } from '../components/deliveries-list.tsx'
import { Modal } from '../components/modal.tsx'
import { RecoverForm } from '../components/recover-form.tsx'
import { SecretNotice } from '../components/secret-notice.tsx'
import { formatTime } from '../format.ts'
import { useSession } from '../session.ts'
import { parseEventTypes, webhookState } from './webhooks-page.tsx'

export function WebhookPage({ webhookId }: { webhookId: string }) {
  const { apiKey } = useSession()
  const [webhook, setWebhook] = useState<Webhook | null>(null)
  const [eventTypes, setEventTypes] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const [newSecret, setNewSecret] = useState<string | null>(null)
  const [confirmingDelete, setConfirmingDelete] = useState(false)

  const show = (next: Webhook): void => {
    setWebhook(next)
    setEventTypes(next.event_types.join(', '))
  }
  const fail = (caught: unknown): void => setError(errorMessage(caught))

  useEffect(() => {
    callApi<{ webhook: Webhook }>(apiKey, '/webhooks/get', { webhook_id: webhookId })
      .then((body) => show(body.webhook))
      .catch(fail)
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
  const remove = async (): Promise<void> => {
    try {
      await callApi(apiKey, '/webhooks/delete', { webhook_id: webhookId })
      window.location.hash = '#/webhooks'
    } catch (caught) {
      setConfirmingDelete(false)
      fail(caught)
    }
  }

  if (webhook === null) {
    return (
      <>
        <p>
          <a href="#/webhooks">← Webhooks</a>
        </p>
        {error !== null ? <p class="error" role="alert">{error}</p> : <p class="muted">Loading…</p>}
      </>
    )
  }

  return (
    <>
      <p>
        <a href="#/webhooks">← Webhooks</a>
      </p>
      <h1 class="wrap">{webhook.url}</h1>
      {newSecret !== null && <SecretNotice secret={newSecret} onDismiss={() => setNewSecret(null)} />}
      <section class="card" aria-label="Webhook settings">
        <dl class="facts">
          <dt>Webhook id</dt>
          <dd>
            <code>{webhook.webhook_id}</code>
          </dd>
          <dt>State</dt>
          <dd>
            <span class={`badge badge-${webhookState(webhook)}`}>{webhookState(webhook)}</span>
            {webhook.disabled_reason !== null && <span class="muted"> {webhook.disabled_reason}</span>}
            {webhook.failing_since !== null && <span class="muted"> since {formatTime(webhook.failing_since)}</span>}
          </dd>
          <dt>Created</dt>
          <dd>{formatTime(webhook.created_at)}</dd>
        </dl>
        <form
          onSubmit={(event) => {
            event.preventDefault()
            void update({ event_types: parseEventTypes(eventTypes) }, 'Event types saved')
          }}
        >
          <div class="field">
            <label for="edit-event-types">Event types</label>
            <input
              id="edit-event-types"
              spellcheck={false}
              value={eventTypes}
              onInput={(event) => setEventTypes(event.currentTarget.value)}
            />
          </div>
          <div class="actions">
            <button type="submit">Save event types</button>
            <button
              type="button"
              class="secondary"
              onClick={() =>
                void update({ disabled: !webhook.disabled }, webhook.disabled ? 'Webhook enabled' : 'Webhook disabled')
              }
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
        <p role="status" class="muted">
          {saved ?? ''}
        </p>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      <DeliveriesList webhookId={webhookId} />
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
