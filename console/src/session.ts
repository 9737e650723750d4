// The signed-in API key lives in sessionStorage: gone when the tab closes, never in a URL, a
// cookie or localStorage.

import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

import { hrefOf } from './route.ts'

const storageKey = 'seam-events-console.api-key'

export function storedApiKey(): string | null {
  return sessionStorage.getItem(storageKey)
}

export function storeApiKey(apiKey: string | null): void {
  if (apiKey === null) sessionStorage.removeItem(storageKey)
  else sessionStorage.setItem(storageKey, apiKey)
}

export interface SessionWorkspace {
  workspace_id: string
  name: string
}

export interface Session {
  apiKey: string
  workspace: SessionWorkspace
  signOut(): void
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (session === null) throw new Error('useSession outside a signed-in page')
  return session
}

/** A link to a view of this workspace. */
export function useHref(): (section: string, id?: string, params?: Record<string, string | string[] | undefined>) => string {
  const { workspace } = useSession()
  return (section, id, params = {}) => hrefOf(section, id, { ws: workspace.workspace_id, ...params })
}
