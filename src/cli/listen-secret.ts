// The signing secret of `seam-events listen`: the same on every run for one workspace on one
// machine, so the app under development keeps one SEAM_WEBHOOK_SECRET, and another on another
// machine, so that a secret that leaks from one laptop signs nothing another accepts. It is an
// HMAC of the workspace id under a random key made on this machine on first use and kept in
// the user's config folder (mode 0600).

import { createHmac, randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { CliError } from './database-command.ts'

const machineKeyFile = 'machine-key'
const machineKeyBytes = 32

/** This machine's key, made (atomically: two first runs at once agree) when there is none. */
export function machineKey(configDir: string): Buffer {
  const path = join(configDir, machineKeyFile)
  const existing = readMachineKey(path)
  if (existing !== undefined) return existing
  try {
    mkdirSync(configDir, { recursive: true, mode: 0o700 })
    // Written whole under another name, then linked into place: link fails if another process
    // got there first, and no reader ever sees a half-written key.
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
    writeFileSync(temporary, `${randomBytes(machineKeyBytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    try {
      linkSync(temporary, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      rmSync(temporary, { force: true })
    }
  } catch (error) {
    throw new CliError(
      `cannot keep the machine key of listen in ${configDir} (${(error as Error).message}); ` +
        'pass --secret whsec_... instead, or set XDG_CONFIG_HOME to a folder you can write',
    )
  }
  const made = readMachineKey(path)
  if (made === undefined) throw new CliError(`${path} is not a key made by seam-events; remove it to make a new one`)
  return made
}

function readMachineKey(path: string): Buffer | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`)
  }
  const key = Buffer.from(text.trim(), 'base64')
  if (key.length !== machineKeyBytes) throw new CliError(`${path} is not a key made by seam-events; remove it to make a new one`)
  return key
}

/** `whsec_` and the base64 of 32 bytes, like the secrets the server issues. */
export function listenSecret(key: Buffer, workspaceId: string): string {
  const derived = createHmac('sha256', key).update(`seam-events listen secret v1\n${workspaceId}`).digest('base64')
  return `whsec_${derived}`
}

const secretPattern = /^whsec_[A-Za-z0-9+/]+={0,2}$/

/** A `--secret` the receiver's verifier will take: whsec_ and base64 of at least 16 bytes. */
export function checkSecret(secret: string): string {
  if (!secretPattern.test(secret) || Buffer.from(secret.slice('whsec_'.length), 'base64').length < 16) {
    throw new CliError('--secret must be whsec_ and the base64 of at least 16 bytes, as a webhook secret of the server is')
  }
  return secret
}
