/**
 * A map's values ordered by name, comparing code units: the same order on
 * every machine and locale, as the CLI lists them.
 */
export function sortedByName<T extends { readonly name: string }> (definitions: ReadonlyMap<string, T>): T[] {
  return [...definitions.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
