import './styles.css'

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'

import { EventsPage } from './pages/events-page.tsx'
import { SignInPage } from './pages/sign-in-page.tsx'
import { WebhookPage } from './pages/webhook-page.tsx'
import { WebhooksPage } from './pages/webhooks-page.tsx'
import { SessionContext, storeApiKey, storedApiKey } from './session.ts'

/** Hash routes (#/events, #/webhooks, #/webhooks/<id>): the server serves one static page. */
function useHashRoute(): string[] {
  const read = (): string[] => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean)
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onChange = (): void => setRoute(read())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

function App() {
  const [apiKey, setApiKey] = useState(storedApiKey)
  const [section = 'events', id] = useHashRoute()

  if (apiKey === null) {
    return (
      <SignInPage
        onSignedIn={(key) => {
          storeApiKey(key)
          setApiKey(key)
        }}
      />
    )
  }
  const signOut = (): void => {
    storeApiKey(null)
    setApiKey(null)
  }

  let page
  if (section === 'webhooks' && id !== undefined) page = <WebhookPage webhookId={decodeURIComponent(id)} />
  else if (section === 'webhooks') page = <WebhooksPage />
  else page = <EventsPage />

  return (
    <SessionContext.Provider value={{ apiKey, signOut }}>
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
      <header class="top-bar">
        <span class="brand">seam-events</span>
        <nav aria-label="Sections">
          <a href="#/events" aria-current={section === 'events' ? 'page' : undefined}>
            Events
          </a>
          <a href="#/webhooks" aria-current={section === 'webhooks' ? 'page' : undefined}>
            Webhooks
          </a>
          <a href="/docs">API reference</a>
        </nav>
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
