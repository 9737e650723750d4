import { useEffect, useState } from 'preact/hooks'

import { fromDatetimeLocal, rangePresets, toDatetimeLocal, type TimeRange } from '../format.ts'
import {
  type EventFilters,
  idLabel,
  type IdFilter,
  knownEventTypes,
  moreIdFilters,
  primaryIdFilters,
  takesSeveralIds,
} from '../filters.ts'

/** The two ends of a custom range, as the form shows them. */
const rangeBounds = [
  { bound: 'start', label: 'From' },
  { bound: 'end', label: 'To' },
] as const

/** Edits a draft of the filters; nothing is queried until the form is submitted. */
export function EventFilterForm({
  applied,
  onApply,
}: {
  applied: EventFilters
  onApply(filters: EventFilters): void
}) {
  const [draft, setDraft] = useState(applied)
  const [typeInput, setTypeInput] = useState('')
  const [rangeError, setRangeError] = useState<string | null>(null)
  // Filters applied from elsewhere (a click on the chart) show up in the form.
  useEffect(() => setDraft(applied), [applied])

  const addType = (): void => {
    const type = typeInput.trim()
    if (type !== '' && !draft.event_types.includes(type)) {
      setDraft({ ...draft, event_types: [...draft.event_types, type] })
    }
    setTypeInput('')
  }
  const setId = (name: IdFilter, value: string): void =>
    setDraft({ ...draft, ids: { ...draft.ids, [name]: value } })

  const rangeChoice = draft.range.kind === 'last' ? String(draft.range.seconds) : 'between'
  const chooseRange = (value: string): void => {
    if (value !== 'between') {
      setDraft({ ...draft, range: { kind: 'last', seconds: Number(value) } })
      return
    }
    const end = new Date()
    const start = new Date(end.getTime() - 3600_000)
    setDraft({ ...draft, range: { kind: 'between', start: start.toISOString(), end: end.toISOString() } })
  }
  const setBound = (bound: 'start' | 'end', value: string): void => {
    if (draft.range.kind !== 'between') return
    const iso = fromDatetimeLocal(value)
    if (iso !== undefined) setDraft({ ...draft, range: { ...draft.range, [bound]: iso } })
  }

  const submit = (event: Event): void => {
    event.preventDefault()
    // A type typed but not yet added still counts: that is what the user meant.
    const typed = typeInput.trim()
    const next: EventFilters =
      typed !== '' && !draft.event_types.includes(typed)
        ? { ...draft, event_types: [...draft.event_types, typed] }
        : draft
    setTypeInput('')
    const range: TimeRange = next.range
    if (range.kind === 'between' && range.start >= range.end) {
      setRangeError('The start of the range must be before its end')
      return
    }
    setRangeError(null)
    setDraft(next)
    onApply(next)
  }

  const idField = (name: IdFilter) => (
    <div class="field" key={name}>
      <label for={`filter-${name}`}>{idLabel(name)}</label>
      <input
        id={`filter-${name}`}
        name={name}
        spellcheck={false}
        placeholder={takesSeveralIds(name) ? 'one or more, comma separated' : undefined}
        value={draft.ids[name] ?? ''}
        onInput={(event) => setId(name, event.currentTarget.value)}
      />
    </div>
  )

  return (
    <form class="filters card" onSubmit={submit} aria-label="Event filters">
      <div class="field">
        <label for="filter-range">Time range</label>
        <select id="filter-range" value={rangeChoice} onChange={(event) => chooseRange(event.currentTarget.value)}>
          {rangePresets.map((preset) => (
            <option key={preset.seconds} value={String(preset.seconds)}>
              {preset.label}
            </option>
          ))}
          <option value="between">Custom range…</option>
        </select>
      </div>
      {rangeBounds.map(({ bound, label }) => {
        const { range } = draft
        if (range.kind !== 'between') return null
        return (
          <div class="field" key={bound}>
            <label for={`filter-${bound}`}>{label}</label>
            <input
              id={`filter-${bound}`}
              type="datetime-local"
              step={1}
              value={toDatetimeLocal(new Date(range[bound]))}
              onChange={(event) => setBound(bound, event.currentTarget.value)}
            />
          </div>
        )
      })}
      <div class="field event-types">
        <label for="filter-event-type">Event types</label>
        <div class="chips">
          {draft.event_types.map((type) => (
            <span class="chip" key={type}>
              {type}
              <button
                type="button"
                aria-label={`Remove ${type}`}
                onClick={() => setDraft({ ...draft, event_types: draft.event_types.filter((t) => t !== type) })}
              >
                ×
              </button>
            </span>
          ))}
          <input
            id="filter-event-type"
            list="known-event-types"
            placeholder="Any type; e.g. lock.unlocked, then Enter"
            spellcheck={false}
            value={typeInput}
            onInput={(event) => setTypeInput(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && typeInput.trim() !== '') {
                event.preventDefault()
                addType()
              }
            }}
            onChange={(event) => {
              // Picking a suggestion from the list adds it at once.
              if (knownEventTypes.includes(event.currentTarget.value)) addType()
            }}
          />
        </div>
        <datalist id="known-event-types">
          {knownEventTypes.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
      </div>
      {primaryIdFilters.map(idField)}
      <details class="more-filters">
        <summary>More filters</summary>
        <div class="filter-grid">
          {moreIdFilters.map(idField)}
          <div class="field">
            <label for="filter-customer-key">Customer key</label>
            <input
              id="filter-customer-key"
              value={draft.customer_key}
              onInput={(event) => setDraft({ ...draft, customer_key: event.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="filter-event-id">Event ids</label>
            <input
              id="filter-event-id"
              spellcheck={false}
              placeholder="one or more, comma separated"
              value={draft.event_id}
              onInput={(event) => setDraft({ ...draft, event_id: event.currentTarget.value })}
            />
          </div>
        </div>
      </details>
      {rangeError !== null && (
        <p class="error" role="alert">
          {rangeError}
        </p>
      )}
      <div class="actions">
        <button type="submit">Apply filters</button>
      </div>
    </form>
  )
}
