import { useState } from 'preact/hooks'

import { callApi, errorMessage } from '../api.ts'

/** Checks the key with a real read before keeping it, so a typo is caught here, not later. */
export function SignInPage({ onSignedIn }: { onSignedIn(apiKey: string): void }) {
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
      await callApi(key, '/events/list', { since: new Date().toISOString(), limit: 1 })
      onSignedIn(key)
    } catch (caught) {
      setError(errorMessage(caught))
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
