import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'

/** A native <dialog> shown modally: focus moves in, Escape closes it, focus returns on close. */
export function Modal({
  title,
  onClose,
  children,
}: {
  title: string
  onClose(): void
  children: ComponentChildren
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const element = dialog.current
    if (element === null) return
    const opener = document.activeElement as HTMLElement | null
    element.showModal()
    return () => opener?.focus()
  }, [])
  return (
    <dialog ref={dialog} class="modal" aria-label={title} onClose={onClose}>
      <header>
        <h2>{title}</h2>
        <button type="button" class="secondary" onClick={() => dialog.current?.close()} aria-label="Close">
          ×
        </button>
      </header>
      {children}
    </dialog>
  )
}
