// A seeded pseudo-random generator, so that a fleet and its events are the same for the same
// seed on every machine and Node.js version (Math.random cannot be seeded). sfc32, seeded
// through splitmix32: small, fast, and passes PractRand far beyond what a simulation draws.

export class SeededRandom {
  #a: number
  #b: number
  #c: number
  #d: number

  /** A text seed names a stream of its own: `${seed}:fleet` and `${seed}:events` are independent. */
  constructor(seed: number | string) {
    let state = typeof seed === 'number' ? seed >>> 0 ^ Math.floor(seed / 2 ** 32) : hashString(seed)
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) | 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = splitmix()
    this.#b = splitmix()
    this.#c = splitmix()
    this.#d = splitmix()
    // The first outputs of sfc32 still show its seed; skip them.
    for (let i = 0; i < 12; i++) this.#next32()
  }

  #next32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** A number in [0, 1). */
  next(): number {
    return this.#next32() / 2 ** 32
  }

  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** A number from `min` (included) to `max` (excluded). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min)
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** A version 4 UUID (random bits from this generator, the version and variant bits set). */
  uuid(): string {
    const hex = Array.from({ length: 4 }, () => this.#next32().toString(16).padStart(8, '0')).join('')
    const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16)
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  }
}

/** FNV-1a, 32 bits: turns a text seed into a number. */
function hashString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
