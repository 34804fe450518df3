/**
 * A map's values ordered by name, comparing code units: the same order on
 * every machine and locale. Names are the map's keys, so never equal.
 */
export function sortedByName<T extends { readonly name: string }> (definitions: ReadonlyMap<string, T>): T[] {
  return [...definitions.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
}
