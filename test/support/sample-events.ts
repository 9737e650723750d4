// The tests' sample events are the examples of docs/event-types.md: one valid event of every
// type, from Seam's schema (src/domain/event-examples.ts).

export { catalogEventTypes, sampleEventFor } from '../../src/domain/event-examples.ts'
