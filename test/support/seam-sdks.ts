// Both published majors of Seam's official SDK, installed side by side through npm aliases:
// 1.x sends events.list as POST with a JSON body, 2.x as GET with a query string.

import * as seamHttp1 from 'seam-http-1'
import * as seamHttp2 from 'seam-http-2'

export interface SeamSdk {
  name: string
  SeamHttp: typeof seamHttp2.SeamHttp | typeof seamHttp1.SeamHttp
  SeamHttpApiError: typeof seamHttp2.SeamHttpApiError
  SeamHttpInvalidInputError: typeof seamHttp2.SeamHttpInvalidInputError
  SeamHttpUnauthorizedError: typeof seamHttp2.SeamHttpUnauthorizedError
}

export const seamSdks: readonly SeamSdk[] = [
  {
    name: '@seamapi/http 1.x',
    SeamHttp: seamHttp1.SeamHttp,
    SeamHttpApiError: seamHttp1.SeamHttpApiError as unknown as typeof seamHttp2.SeamHttpApiError,
    SeamHttpInvalidInputError:
      seamHttp1.SeamHttpInvalidInputError as unknown as typeof seamHttp2.SeamHttpInvalidInputError,
    SeamHttpUnauthorizedError:
      seamHttp1.SeamHttpUnauthorizedError as unknown as typeof seamHttp2.SeamHttpUnauthorizedError,
  },
  {
    name: '@seamapi/http 2.x',
    SeamHttp: seamHttp2.SeamHttp,
    SeamHttpApiError: seamHttp2.SeamHttpApiError,
    SeamHttpInvalidInputError: seamHttp2.SeamHttpInvalidInputError,
    SeamHttpUnauthorizedError: seamHttp2.SeamHttpUnauthorizedError,
  },
]

/** A client of the given major. Typed loosely: the two majors' parameter types differ slightly. */
export function seamClient(sdk: SeamSdk, endpoint: string, apiKey: string): any {
  return new sdk.SeamHttp({ apiKey, endpoint })
}
