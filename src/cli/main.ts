import { Command, CommanderError } from 'commander'

import { ConfigError } from '../config.ts'
import { ListenError } from '../service.ts'
import { DatabaseOpenError, UnsupportedDatabaseUrlError } from '../store/open-store.ts'
import { registerApiKeyCommands } from './api-keys.ts'
import { CliError } from './database-command.ts'
import { registerMigrateCommand } from './migrate.ts'
import { registerRetentionCommand } from './retention.ts'
import { registerServeCommand } from './serve.ts'
import { registerTailCommand } from './tail.ts'
import { registerWorkerCommand } from './worker.ts'
import { registerWorkspaceCommands } from './workspaces.ts'

const program = new Command()
  .name('seam-events')
  .description("A self-hostable, Seam-compatible events service")
  .showHelpAfterError()

registerServeCommand(program)
registerWorkerCommand(program)
registerWorkspaceCommands(program)
registerApiKeyCommands(program)
registerMigrateCommand(program)
registerRetentionCommand(program)
registerTailCommand(program)

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
