// The console's address is its state: the section, the open webhook, and every filter, page,
// open event and open delivery, in the hash (`#/events?range=7d&device_id=...&event=...`). The
// server serves one static page, so the hash is what a reload, back and forward, and a pasted
// link all read. `ws` names the workspace the view belongs to: a link of another workspace is
// not opened with this key's data (see main.tsx).

import { useEffect, useState } from 'preact/hooks'

export interface Route {
  /** `events`, `webhooks`. */
  section: string
  /** The open webhook, under `webhooks`. */
  id: string | undefined
  query: URLSearchParams
}

export function readRoute(hash = window.location.hash): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2)
  const [section = 'events', id] = path.split('/').filter(Boolean).map(decodeURIComponent)
  return { section, id, query: new URLSearchParams(search) }
}

/** The hash of a view: `#/webhooks/<id>?...`; empty parameters are left out. */
export function hrefOf(section: string, id: string | undefined, query: URLSearchParams | Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams()
  const entries = query instanceof URLSearchParams ? [...query] : Object.entries(query)
  for (const [name, value] of entries) {
    for (const item of [value ?? []].flat()) if (item !== '') params.append(name, item)
  }
  // The workspace first, as links are read.
  const ws = params.get('ws')
  if (ws !== null) {
    params.delete('ws')
    const rest = params.toString()
    return `#/${section}${id === undefined ? '' : `/${encodeURIComponent(id)}`}?ws=${encodeURIComponent(ws)}${rest === '' ? '' : `&${rest}`}`
  }
  const search = params.toString()
  return `#/${section}${id === undefined ? '' : `/${encodeURIComponent(id)}`}${search === '' ? '' : `?${search}`}`
}

/** Goes to a view: a new history entry, so that back returns here; `replace` for corrections. */
export function navigate(href: string, { replace = false } = {}): void {
  if (href === window.location.hash) return
  if (replace) {
    history.replaceState(history.state, '', href)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else {
    window.location.hash = href
  }
}

/** The current view, re-read on every change of the address. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => readRoute())
  useEffect(() => {
    const onChange = (): void => setRoute(readRoute())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

/** The same view with some parameters set (a string or list) or removed (undefined). */
export function withParams(route: Route, changes: Record<string, string | string[] | undefined>): string {
  const query = new URLSearchParams(route.query)
  for (const [name, value] of Object.entries(changes)) {
    query.delete(name)
    for (const item of [value ?? []].flat()) if (item !== '') query.append(name, item)
  }
  return hrefOf(route.section, route.id, query)
}
