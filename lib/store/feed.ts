import type { StoreChange, StoreWatcher } from './store.js'

/** The watchers of one store, and what the store tells them. */
export class ChangeFeed {
  readonly #watchers = new Set<StoreWatcher>()

  watch (watcher: StoreWatcher): () => void {
    this.#watchers.add(watcher)
    return () => { this.#watchers.delete(watcher) }
  }

  /** Whether some watcher wants changes of `key` (work to detect it is worth doing). */
  wants (key: string): boolean {
    for (const watcher of this.#watchers) {
      if (watcher.wants?.(key) ?? true) return true
    }
    return false
  }

  change (change: StoreChange): void {
    for (const watcher of this.#watchers) watcher.change?.(change)
  }

  down (err: Error): void {
    for (const watcher of this.#watchers) watcher.down?.(err)
  }

  up (): void {
    for (const watcher of this.#watchers) watcher.up?.()
  }
}
