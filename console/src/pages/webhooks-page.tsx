import { useEffect, useState } from 'preact/hooks'

import { callApi, errorMessage, type Webhook } from '../api.ts'
import { SecretNotice } from '../components/secret-notice.tsx'
import { LastDelivery, SuccessRate } from '../components/success-rate.tsx'
import { useHref, useSession } from '../session.ts'

/** "lock.*, device.connected" as typed into a field, to the list the API takes. */
export function parseEventTypes(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((type) => type.trim())
    .filter((type) => type !== '')
}

export function webhookState(webhook: Webhook): string {
  if (webhook.disabled) return 'disabled'
  if (webhook.failing_since !== null) return 'failing'
  return 'enabled'
}

export function WebhooksPage() {
  const { apiKey } = useSession()
  const href = useHref()
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [url, setUrl] = useState('')
  const [description, setDescription] = useState('')
  const [eventTypes, setEventTypes] = useState('*')
  const [creating, setCreating] = useState(false)
  const [newSecret, setNewSecret] = useState<{ webhookId: string; secret: string } | null>(null)

  const load = (): void => {
    callApi<{ webhooks: Webhook[] }>(apiKey, '/webhooks/list')
      .then((body) => setWebhooks(body.webhooks))
      .catch((caught: unknown) => setError(errorMessage(caught)))
  }
  useEffect(load, [apiKey])

  const create = async (event: Event): Promise<void> => {
    event.preventDefault()
    setCreating(true)
    setError(null)
    try {
      const { webhook } = await callApi<{ webhook: Webhook }>(apiKey, '/webhooks/create', {
        url: url.trim(),
        description: description.trim(),
        event_types: parseEventTypes(eventTypes),
      })
      // Only a key of scope "all" may create, and it is always shown the secret.
      if (webhook.secret !== undefined) setNewSecret({ webhookId: webhook.webhook_id, secret: webhook.secret })
      setUrl('')
      setDescription('')
      setEventTypes('*')
      load()
    } catch (caught) {
      setError(errorMessage(caught))
    } finally {
      setCreating(false)
    }
  }

  return (
    <>
      <h1>Webhooks</h1>
      {newSecret !== null && <SecretNotice secret={newSecret.secret} onDismiss={() => setNewSecret(null)} />}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="table-wrap card">
        <table class="webhooks">
          <caption class="visually-hidden">Webhooks, with their last 24 hours of deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">Success (24 h)</th>
              <th scope="col">Last delivery</th>
              <th scope="col">Event types</th>
            </tr>
          </thead>
          <tbody>
            {webhooks?.map((webhook) => (
              <tr key={webhook.webhook_id} data-webhook-id={webhook.webhook_id}>
                <td data-label="Endpoint" class="endpoint">
                  <a href={href('webhooks', webhook.webhook_id)}>{webhook.url}</a>
                  {webhook.description !== null && <span class="description">{webhook.description}</span>}
                </td>
                <td data-label="Status">
                  <span class={`badge badge-${webhookState(webhook)}`}>{webhookState(webhook)}</span>
                </td>
                <td data-label="Success (24 h)">
                  <SuccessRate stats={webhook.delivery_stats} />
                </td>
                <td data-label="Last delivery">
                  <LastDelivery stats={webhook.delivery_stats} />
                </td>
                <td data-label="Event types" class="event-types">
                  {webhook.event_types.join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {webhooks !== null && webhooks.length === 0 && <p class="empty muted">No webhooks yet.</p>}
      </div>
      <form class="card create-webhook" onSubmit={create} aria-labelledby="new-webhook-heading">
        <h2 id="new-webhook-heading">New webhook</h2>
        <div class="filter-grid">
          <div class="field">
            <label for="webhook-url">URL</label>
            <input
              id="webhook-url"
              type="url"
              required
              placeholder="https://example.com/seam-events"
              value={url}
              onInput={(event) => setUrl(event.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="webhook-description">Description</label>
            <input
              id="webhook-description"
              maxLength={500}
              placeholder="optional: what it is for"
              value={description}
              onInput={(event) => setDescription(event.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="webhook-event-types">Event types</label>
            <input
              id="webhook-event-types"
              spellcheck={false}
              aria-describedby="webhook-event-types-help"
              value={eventTypes}
              onInput={(event) => setEventTypes(event.currentTarget.value)}
            />
            <small id="webhook-event-types-help" class="muted">
              Comma separated: an event type, <code>family.*</code>, or <code>*</code> for all.
            </small>
          </div>
        </div>
        <div class="actions">
          <button type="submit" disabled={creating}>
            {creating ? 'Creating…' : 'Create webhook'}
          </button>
        </div>
      </form>
    </>
  )
}
