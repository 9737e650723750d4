// The signed-in API key lives in sessionStorage: gone when the tab closes, never in a URL, a
// cookie or localStorage.

import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

const storageKey = 'seam-events-console.api-key'

export function storedApiKey(): string | null {
  return sessionStorage.getItem(storageKey)
}

export function storeApiKey(apiKey: string | null): void {
  if (apiKey === null) sessionStorage.removeItem(storageKey)
  else sessionStorage.setItem(storageKey, apiKey)
}

export interface Session {
  apiKey: string
  signOut(): void
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (session === null) throw new Error('useSession outside a signed-in page')
  return session
}
