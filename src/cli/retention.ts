import type { Command } from 'commander'

import { resolveRetentionConfig } from '../config.ts'
import { runRetentionPass } from '../workers/retention-pass.ts'
import { CliError, databaseOptionHelp, openCommandStore, printResult } from './database-command.ts'

export function registerRetentionCommand(program: Command): void {
  program
    .command('retention')
    .description(
      'Export, then remove, the events past their workspace retention now (serve and worker also do it hourly)',
    )
    .option('--export-dir <dir>', 'write <dir>/<day>/<workspace_id>.ndjson first (RETENTION_EXPORT_DIR)')
    .option('--database <url>', databaseOptionHelp)
    .option('--json', 'print one JSON object')
    .action(async (options: { database?: string; exportDir?: string; json?: boolean }) => {
      const config = resolveRetentionConfig(options)
      const store = await openCommandStore(config.databaseUrl, {
        createIfMissing: false,
        queryTimeoutSeconds: config.queryTimeoutSeconds,
        sqliteReaders: config.sqliteReaders,
      })
      try {
        const report = await runRetentionPass(store, { now: Date.now(), exportDir: config.retention.exportDir })
        if (!report.ran) throw new CliError('another retention pass is running on this database; try again later')
        const removed = report.removed_days.reduce((sum, day) => sum + day.events_removed, 0)
        const exported = report.removed_days.reduce((sum, day) => sum + day.events_exported, 0)
        printResult(options.json === true, report, [
          ...report.removed_days.map(
            (day) =>
              `${day.day}: ${day.events_removed} events removed` +
              `${day.whole_day ? ' (whole day)' : ` (${day.workspace_ids.length} workspaces)`}` +
              `, ${day.events_exported} exported`,
          ),
          removed === 0
            ? 'Nothing is past retention.'
            : `${removed} events removed, ${exported} exported` +
              (config.retention.exportDir === undefined ? ' (no --export-dir / RETENTION_EXPORT_DIR)' : ` to ${config.retention.exportDir}`),
        ])
      } finally {
        await store.close()
      }
    })
}
