// Seam's official SDK, installed side by side through npm aliases: the newest release of each
// major and the oldest one the README promises. 1.x sends events.list as POST with a JSON body,
// 2.x as GET with a query string. The versions are pinned exactly in package.json (the newest
// declare Node 22 in `engines`, and a caret range would quietly resolve to an older release on
// Node 20); `npm run catalog:update` moves the newest ones.

import * as seamHttp1 from 'seam-http-1'
import * as seamHttp1Oldest from 'seam-http-1-oldest'
import * as seamHttp2 from 'seam-http-2'
import * as seamHttp2Oldest from 'seam-http-2-oldest'

import packageJson from '../../package.json' with { type: 'json' }

export interface SeamSdk {
  /** `@seamapi/http 2.32.0`, say. */
  name: string
  major: 1 | 2
  SeamHttp: typeof seamHttp2.SeamHttp | typeof seamHttp1.SeamHttp
  SeamHttpApiError: typeof seamHttp2.SeamHttpApiError
  SeamHttpInvalidInputError: typeof seamHttp2.SeamHttpInvalidInputError
  SeamHttpUnauthorizedError: typeof seamHttp2.SeamHttpUnauthorizedError
}

type SdkModule = typeof seamHttp1 | typeof seamHttp1Oldest | typeof seamHttp2 | typeof seamHttp2Oldest

/** The exact version package.json pins under `alias`. */
function pinnedVersion(alias: keyof typeof packageJson.devDependencies): string {
  const spec = packageJson.devDependencies[alias]
  const version = /^npm:@seamapi\/http@(\d+\.\d+\.\d+)$/.exec(spec)?.[1]
  if (version === undefined) throw new Error(`${alias} must pin an exact @seamapi/http version, not ${spec}`)
  return version
}

function sdk(alias: keyof typeof packageJson.devDependencies, major: 1 | 2, module: SdkModule): SeamSdk {
  return {
    name: `@seamapi/http ${pinnedVersion(alias)}`,
    major,
    SeamHttp: module.SeamHttp as SeamSdk['SeamHttp'],
    SeamHttpApiError: module.SeamHttpApiError as unknown as SeamSdk['SeamHttpApiError'],
    SeamHttpInvalidInputError: module.SeamHttpInvalidInputError as unknown as SeamSdk['SeamHttpInvalidInputError'],
    SeamHttpUnauthorizedError: module.SeamHttpUnauthorizedError as unknown as SeamSdk['SeamHttpUnauthorizedError'],
  }
}

/** The newest release of each major: what most tests drive the server with. */
export const newestSeamSdks: readonly SeamSdk[] = [
  sdk('seam-http-1', 1, seamHttp1),
  sdk('seam-http-2', 2, seamHttp2),
]

/** Every release the README promises, newest and oldest of each major: the SDK contract suite. */
export const seamSdks: readonly SeamSdk[] = [
  ...newestSeamSdks,
  sdk('seam-http-1-oldest', 1, seamHttp1Oldest),
  sdk('seam-http-2-oldest', 2, seamHttp2Oldest),
]

/** A client of the given major. Typed loosely: the two majors' parameter types differ slightly. */
export function seamClient(sdk: SeamSdk, endpoint: string, apiKey: string): any {
  return new sdk.SeamHttp({ apiKey, endpoint })
}
