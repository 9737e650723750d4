import './styles.css'

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'

import { ApiError, callApi, errorMessage } from './api.ts'
import { viewerTimeZone } from './format.ts'
import { EventsPage } from './pages/events-page.tsx'
import { SignInPage } from './pages/sign-in-page.tsx'
import { WebhookPage } from './pages/webhook-page.tsx'
import { WebhooksPage } from './pages/webhooks-page.tsx'
import { hrefOf, navigate, useRoute } from './route.ts'
import { SessionContext, storeApiKey, storedApiKey, type SessionWorkspace } from './session.ts'

function App() {
  const [apiKey, setApiKey] = useState(storedApiKey)
  const [workspace, setWorkspace] = useState<SessionWorkspace | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const route = useRoute()

  const signOut = (): void => {
    storeApiKey(null)
    setApiKey(null)
    setWorkspace(null)
  }

  // The key's workspace, for the header and for the address (a reload with a stored key).
  useEffect(() => {
    if (apiKey === null || workspace !== null) return
    callApi<{ workspace: SessionWorkspace }>(apiKey, '/workspaces/get')
      .then((body) => setWorkspace(body.workspace))
      .catch((caught: unknown) => {
        if (caught instanceof ApiError && caught.status === 401) signOut()
        else setLoadError(errorMessage(caught))
      })
  }, [apiKey, workspace])

  // A view of another workspace (a link, or the address left by the last key) is not opened
  // with this key: it starts from this workspace's home. A view without one is this workspace's.
  const viewWorkspace = route.query.get('ws')
  const foreignView = workspace !== null && viewWorkspace !== null && viewWorkspace !== workspace.workspace_id
  useEffect(() => {
    if (workspace === null) return
    if (foreignView) navigate(hrefOf('events', undefined, { ws: workspace.workspace_id }), { replace: true })
    else if (viewWorkspace === null) {
      const query = new URLSearchParams(route.query)
      query.set('ws', workspace.workspace_id)
      navigate(hrefOf(route.section, route.id, query), { replace: true })
    }
  }, [workspace, foreignView, viewWorkspace])

  if (apiKey === null) {
    return (
      <SignInPage
        onSignedIn={(key, signedInWorkspace) => {
          storeApiKey(key)
          setApiKey(key)
          setWorkspace(signedInWorkspace)
        }}
      />
    )
  }
  if (workspace === null || foreignView || viewWorkspace === null) {
    return (
      <main id="main" class="loading">
        {loadError !== null ? (
          <p class="error" role="alert">
            {loadError} <button type="button" class="secondary" onClick={signOut}>Sign out</button>
          </p>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </main>
    )
  }

  let page
  if (route.section === 'webhooks' && route.id !== undefined) page = <WebhookPage webhookId={route.id} route={route} />
  else if (route.section === 'webhooks') page = <WebhooksPage />
  else page = <EventsPage route={route} />
  const home = (section: string): string => hrefOf(section, undefined, { ws: workspace.workspace_id })

  return (
    <SessionContext.Provider value={{ apiKey, workspace, signOut }}>
      <header class="top-bar">
        {/* Not href="#main": the hash is the route here. */}
        <a
          class="skip-link"
          href="#"
          onClick={(event) => {
            event.preventDefault()
            document.getElementById('main')?.focus()
          }}
        >
          Skip to content
        </a>
        <span class="brand">seam-events</span>
        <span class="workspace" title={`Workspace ${workspace.workspace_id}`}>
          <span class="visually-hidden">Workspace: </span>
          <span data-testid="workspace-name">{workspace.name}</span>
        </span>
        <nav aria-label="Sections">
          <a href={home('events')} aria-current={route.section === 'events' ? 'page' : undefined}>
            Events
          </a>
          <a href={home('webhooks')} aria-current={route.section === 'webhooks' ? 'page' : undefined}>
            Webhooks
          </a>
          <a href="/docs">API reference</a>
        </nav>
        <span class="muted timezone" title="Every time is shown in this time zone; hover one for UTC">
          {viewerTimeZone}
        </span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </SessionContext.Provider>
  )
}

render(<App />, document.getElementById('app') as HTMLElement)
