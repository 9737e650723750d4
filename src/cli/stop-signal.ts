// The client commands (tail, listen, simulate) stop on SIGINT or SIGTERM by finishing what is
// in flight and exiting 0; a second signal exits at once.

export interface StopSignal {
  signal: AbortSignal
  /** Removes the handlers, once the command is done. */
  dispose(): void
}

export function stopSignal(): StopSignal {
  const controller = new AbortController()
  const onSignal = (): void => {
    // The first signal asks the command to wind down; the second one is the user insisting.
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
