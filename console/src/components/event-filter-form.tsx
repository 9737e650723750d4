import { useEffect, useState } from 'preact/hooks'

import { fromDatetimeLocal, rangePresets, toDatetimeLocal } from '../format.ts'
import {
  activeFilterCount,
  allIdFilters,
  defaultFilters,
  type EventFilters,
  idLabel,
  type IdFilter,
  knownEventTypes,
  takesSeveralIds,
} from '../filters.ts'

/** The two ends of a custom range, as the form shows them. */
const rangeBounds = [
  { bound: 'start', label: 'From' },
  { bound: 'end', label: 'To' },
] as const

/**
 * The filter bar: one line of the time range, the event types and the filters set (each a chip
 * that removes it), over the list; "Filters" opens every other filter. The range and the types
 * apply at once; the panel applies on submit.
 */
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
  const [expanded, setExpanded] = useState(false)
  // Filters applied from elsewhere (the address, a link, the chart) show up in the form.
  useEffect(() => setDraft(applied), [applied])

  const apply = (next: EventFilters): void => {
    if (next.range.kind === 'between' && next.range.start >= next.range.end) {
      setRangeError('The start of the range must be before its end')
      setExpanded(true)
      return
    }
    setRangeError(null)
    setDraft(next)
    onApply(next)
  }
  const addType = (): void => {
    const type = typeInput.trim()
    setTypeInput('')
    if (type !== '' && !draft.event_types.includes(type)) apply({ ...draft, event_types: [...draft.event_types, type] })
  }
  const setId = (name: IdFilter, value: string): void => setDraft({ ...draft, ids: { ...draft.ids, [name]: value } })

  const rangeChoice = draft.range.kind === 'last' ? String(draft.range.seconds) : 'between'
  const chooseRange = (value: string): void => {
    if (value !== 'between') {
      apply({ ...draft, range: { kind: 'last', seconds: Number(value) } })
      return
    }
    const end = new Date()
    const start = new Date(end.getTime() - 3600_000)
    setDraft({ ...draft, range: { kind: 'between', start: start.toISOString(), end: end.toISOString() } })
    setExpanded(true)
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
    setTypeInput('')
    apply(typed !== '' && !draft.event_types.includes(typed) ? { ...draft, event_types: [...draft.event_types, typed] } : draft)
  }

  const setIds = allIdFilters.filter((name) => (applied.ids[name] ?? '').trim() !== '')
  const count = activeFilterCount(applied)

  return (
    <form class="filter-bar card" onSubmit={submit} role="search" aria-label="Event filters">
      <div class="filter-line">
        <label class="visually-hidden" for="filter-range">
          Time range
        </label>
        <select id="filter-range" value={rangeChoice} onChange={(event) => chooseRange(event.currentTarget.value)}>
          {rangePresets.map((preset) => (
            <option key={preset.seconds} value={String(preset.seconds)}>
              {preset.label}
            </option>
          ))}
          <option value="between">Custom range…</option>
        </select>
        <div class="chips">
          {draft.event_types.map((type) => (
            <span class="chip" key={type}>
              {type}
              <button
                type="button"
                aria-label={`Remove ${type}`}
                onClick={() => apply({ ...draft, event_types: draft.event_types.filter((t) => t !== type) })}
              >
                ×
              </button>
            </span>
          ))}
          <label class="visually-hidden" for="filter-event-type">
            Event types
          </label>
          <input
            id="filter-event-type"
            list="known-event-types"
            placeholder="Event type, then Enter"
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
          <datalist id="known-event-types">
            {knownEventTypes.map((type) => (
              <option key={type} value={type} />
            ))}
          </datalist>
          {setIds.map((name) => (
            <span class="chip" key={name}>
              {idLabel(name)}: <code>{applied.ids[name]}</code>
              <button
                type="button"
                aria-label={`Remove the ${idLabel(name)} filter`}
                onClick={() => apply({ ...applied, ids: { ...applied.ids, [name]: '' } })}
              >
                ×
              </button>
            </span>
          ))}
        </div>
        <button
          type="button"
          class="secondary"
          aria-expanded={expanded}
          aria-controls="filter-panel"
          onClick={() => setExpanded(!expanded)}
        >
          Filters{count > 0 ? ` (${count})` : ''}
        </button>
      </div>
      {rangeError !== null && (
        <p class="error" role="alert">
          {rangeError}
        </p>
      )}
      <div id="filter-panel" hidden={!expanded}>
        <div class="filter-grid">
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
          {allIdFilters.map((name) => (
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
          ))}
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
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => apply(defaultFilters)}>
            Clear all
          </button>
        </div>
      </div>
    </form>
  )
}
