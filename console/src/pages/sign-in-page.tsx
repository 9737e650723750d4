import { useState } from 'preact/hooks'

import { ApiError, callApi, errorMessage } from '../api.ts'
import type { SessionWorkspace } from '../session.ts'

/** What the console says of a key it cannot use, in its own words rather than the API's. */
function refusal(caught: unknown): string {
  if (caught instanceof ApiError && caught.status === 401) {
    return `This API key was not accepted (${caught.message}). Check that it was copied whole, or make one with seam-events api-keys create.`
  }
  if (caught instanceof ApiError && caught.status === 403) {
    return 'This key can only publish events. The console reads events and webhooks: sign in with a key of scope "read" or "all" (seam-events api-keys create --scope read).'
  }
  return errorMessage(caught)
}

/** Checks the key with real reads before keeping it, so a typo is caught here, not later. */
export function SignInPage({ onSignedIn }: { onSignedIn(apiKey: string, workspace: SessionWorkspace): void }) {
  const [apiKey, setApiKey] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [checking, setChecking] = useState(false)

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    const key = apiKey.trim()
    if (key === '') return
    setChecking(true)
    setError(null)
    try {
      const { workspace } = await callApi<{ workspace: SessionWorkspace }>(key, '/workspaces/get')
      // Any key may read its workspace; the console needs one that can read events.
      await callApi(key, '/events/list', { since: new Date().toISOString(), limit: 1 })
      onSignedIn(key, workspace)
    } catch (caught) {
      setError(refusal(caught))
      setChecking(false)
    }
  }

  return (
    <main class="sign-in" id="main">
      <form onSubmit={submit} class="card">
        <h1>seam-events console</h1>
        <p>
          Sign in with an API key of your workspace (<code>seam-events api-keys create</code> makes
          one). It is kept in this tab only, and forgotten when the tab closes.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder="seam_…"
          value={apiKey}
          onInput={(event) => setApiKey(event.currentTarget.value)}
          autoFocus
          required
        />
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
