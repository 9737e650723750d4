// The fleet's events over time: a generator of `{ event, at }`, one event per slot of
// `intervalMs` on average from `start`, the stories of fleet-stories.ts interleaved. At each
// slot the step of a running story that is due goes first; otherwise a new story starts on a
// free subject, picked by weight; when the story picked has no free subject, the next step
// goes early. So the pace is exactly the one asked for, each story's steps keep their order,
// and a subject is in one story at a time. The same fleet and options give the same events:
// `seam-events simulate` publishes them as their time comes (start = now, intervalMs = 1000 /
// rate), and a seed of past history can write them spread over days (start = now - D days,
// intervalMs = D days / N).
//
// The events have no event_id, created_at or occurred_at: the caller sets what it needs (`at`
// is when the event happens).

import type { Fleet } from './fleet.ts'
import { fleetStories, FleetState, type Story, type StoryContext, type StoryStep } from './fleet-stories.ts'
import { SeededRandom } from './seeded-random.ts'

export interface TimedEvent {
  /** A publish payload: valid for /events/publish as it is. */
  event: Record<string, unknown>
  /** When it happens, in milliseconds since the epoch; never less than the previous event's. */
  at: number
}

export interface FleetEventsOptions {
  /** When the first slot begins, in milliseconds since the epoch. */
  start: number
  /** The average time between two events, in milliseconds (1000 / events per second). */
  intervalMs: number
}

interface RunningStory {
  subjects: readonly string[]
  remaining: number
}

interface PendingStep {
  due: number
  /** Breaks ties of `due` in the order the steps were scheduled. */
  sequence: number
  step: StoryStep
  story: RunningStory
}

/** Endless: take as many as you need. */
export function* fleetEvents(fleet: Fleet, { start, intervalMs }: FleetEventsOptions): Generator<TimedEvent, never, undefined> {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number; got ${intervalMs}`)
  const random = new SeededRandom(`${fleet.seed}:events`)
  const busy = new Set<string>()
  const context: StoryContext = {
    fleet,
    state: new FleetState(fleet, new SeededRandom(`${fleet.seed}:state`)),
    random,
    isFree: (subject) => !busy.has(subject),
  }
  const weighted = fleetStories
    .map((story) => ({ story, weight: story.weight(fleet) }))
    .filter(({ weight }) => weight > 0)
  const pending = new StepQueue()
  let sequence = 0

  const emit = (pendingStep: PendingStep, at: number): TimedEvent => {
    const event = pendingStep.step.event(at)
    pendingStep.story.remaining -= 1
    if (pendingStep.story.remaining === 0) for (const subject of pendingStep.story.subjects) busy.delete(subject)
    return { event, at }
  }

  /**
   * Starts a story and returns its first event, or undefined when the one picked cannot start
   * while steps are pending (they go first then: trying the other stories instead would favour
   * those that need no free subject, and skew the mix). With nothing pending, tries them all.
   */
  const begin = (at: number): TimedEvent | undefined => {
    let candidates = weighted
    while (candidates.length > 0) {
      const chosen = pickWeighted(candidates, random)
      const started = chosen.begin(context)
      if (started === undefined || started.steps.length === 0) {
        if (pending.peek() !== undefined) return undefined
        candidates = candidates.filter(({ story }) => story !== chosen)
        continue
      }
      const story: RunningStory = { subjects: started.subjects, remaining: started.steps.length }
      for (const subject of started.subjects) busy.add(subject)
      let due = at
      const [first, ...rest] = started.steps
      for (const step of rest) {
        due += step.afterMs
        pending.push({ due, sequence: sequence++, step, story })
      }
      return emit({ due: at, sequence: sequence++, step: first as StoryStep, story }, at)
    }
    return undefined
  }

  for (let slot = 0; ; slot++) {
    // Somewhere within the slot: events come at an even pace, not on a metronome.
    const at = Math.floor(start + (slot + random.next()) * intervalMs)
    const next = pending.peek()
    if (next !== undefined && next.due <= at) {
      yield emit(pending.pop() as PendingStep, at)
      continue
    }
    const started = begin(at)
    if (started !== undefined) {
      yield started
      continue
    }
    // The story picked has no free subject: the next step comes early rather than the pace slipping.
    if (next === undefined) throw new Error('the fleet has no story that can start')
    yield emit(pending.pop() as PendingStep, at)
  }
}

/** The first `count` events of `fleetEvents`. */
export function takeFleetEvents(fleet: Fleet, options: FleetEventsOptions, count: number): TimedEvent[] {
  const events: TimedEvent[] = []
  if (count <= 0) return events
  for (const timed of fleetEvents(fleet, options)) {
    events.push(timed)
    if (events.length >= count) break
  }
  return events
}

function pickWeighted(candidates: readonly { story: Story; weight: number }[], random: SeededRandom): Story {
  let total = 0
  for (const { weight } of candidates) total += weight
  let point = random.next() * total
  for (const { story, weight } of candidates) {
    point -= weight
    if (point < 0) return story
  }
  return (candidates.at(-1) as { story: Story }).story
}

/** A binary min-heap of steps by (due, sequence). */
class StepQueue {
  readonly #items: PendingStep[] = []

  peek(): PendingStep | undefined {
    return this.#items[0]
  }

  push(item: PendingStep): void {
    const items = this.#items
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(item, items[parent] as PendingStep)) break
      items[index] = items[parent] as PendingStep
      index = parent
    }
    items[index] = item
  }

  pop(): PendingStep | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && before(items[right] as PendingStep, items[left] as PendingStep) ? right : left
      if (!before(items[child] as PendingStep, last)) break
      items[index] = items[child] as PendingStep
      index = child
    }
    items[index] = last
    return top
  }
}

function before(a: PendingStep, b: PendingStep): boolean {
  return a.due < b.due || (a.due === b.due && a.sequence < b.sequence)
}
