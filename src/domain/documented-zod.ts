// zod, with zod-to-openapi's `.openapi()` added to every schema, so that a parameter schema can
// carry what the API reference shows of it (a format, the enum of event types) next to the
// checks it makes. Import `z` from here in any module that calls `.openapi()`: the method exists
// only once this module has run.

import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi'
import { z } from 'zod'

extendZodWithOpenApi(z)

export { z }
