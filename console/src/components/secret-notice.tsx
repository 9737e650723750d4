import { CopyButton } from './copy-button.tsx'

/** A new signing secret, shown once: the console never displays it again. */
export function SecretNotice({ secret, onDismiss }: { secret: string; onDismiss(): void }) {
  return (
    <div class="notice card" role="alert">
      <h2>Signing secret</h2>
      <p>
        Copy this secret now and give it to your receiver: it verifies each delivery's signature
        (<code>@seamapi/webhook</code>). The console will not show it again.
      </p>
      <p class="secret">
        <code data-testid="webhook-secret">{secret}</code> <CopyButton text={secret} />
      </p>
      <button type="button" onClick={onDismiss}>
        I have saved it
      </button>
    </div>
  )
}
