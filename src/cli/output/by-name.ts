// Every list the CLI prints is sorted by name (then by id, for two pods of one name across a move), so that
// output is stable from one call to the next whatever order the store lists keys in.

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy of `items`, by name, then id, then node. */
export function sortByName<T extends { name: string; id?: string; node?: string }>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      compare(a.name, b.name) || compare(a.id ?? "", b.id ?? "") || compare(a.node ?? "", b.node ?? ""),
  );
}
