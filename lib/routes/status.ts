import type { PancakeInstance } from '../instance.js'
import type { PancakeStatus, PancakeStatusEntry } from './schemas.js'
import { sortedByName } from './sorted.js'

/**
 * What is active for the current request in one instance, sorted by name:
 * the body of `GET /status`. It checks every definition the way a handler
 * would, in the current scope, so it agrees with the request's own checks,
 * draws each sample once and has the sample cookie sent. Call it from a
 * handler to embed the status in a page.
 */
export async function pancakeStatus (pancake: PancakeInstance): Promise<PancakeStatus> {
  // Each check is remembered for the request, so running them side by side
  // costs no extra store reads and group functions still run once.
  const [flags, samples, switches] = await Promise.all([
    entries(sortedByName(pancake.flags)),
    entries(sortedByName(pancake.samples)),
    entries(sortedByName(pancake.switches))
  ])
  return { flags, samples, switches }
}

async function entries (definitions: ReadonlyArray<{ name: string, isActive: () => Promise<boolean> }>): Promise<PancakeStatusEntry[]> {
  return await Promise.all(definitions.map(async (definition) => ({
    name: definition.name,
    is_active: await definition.isActive()
  })))
}
