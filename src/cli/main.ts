import { CommanderError } from 'commander'

import { ConfigError } from '../config.ts'
import { ListenError } from '../service.ts'
import { DatabaseOpenError, UnsupportedDatabaseUrlError } from '../store/open-store.ts'
import { CliError } from './database-command.ts'
import { buildProgram } from './program.ts'

const program = buildProgram()

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode)
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof UnsupportedDatabaseUrlError ||
    error instanceof DatabaseOpenError ||
    error instanceof ListenError
  ) {
    process.stderr.write(`seam-events: ${error.message}\n`)
    process.exit(1)
  }
  // Anything else is a bug of ours: one line still, and where to report it.
  process.stderr.write(
    `seam-events: unexpected error: ${error instanceof Error ? error.message : String(error)} ` +
      '(please report it, with LOG_LEVEL=debug output if you can)\n',
  )
  process.exit(1)
}
