// Lists in pages: a page is at most `limit` items in a stable order (by key, i.e. by name), and when more
// follow, its answer carries an opaque continue token (header x-continue) that asks for the items after the
// last one served. The token names the list and that last item, so a page costs a page's worth of reads
// wherever the store can list from a name on (store pages), and a token of one list is refused by another.
import { ValidationError } from "../core/errors.js";
import { CONTINUE_HEADER } from "../core/schemas/list-page.js";
import { baseName, type Entry } from "../store/store.js";
import type { ApiStore } from "./deadline-store.js";

export interface PageQuery {
  limit: number;
  continue?: string;
}

export interface ListPage<T> {
  items: T[];
  /** The token of the next page; undefined on the last one. */
  continue?: string;
}

/** A store key segment: what a store page may start after. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

export function encodeContinue(list: string, after: string): string {
  return Buffer.from(JSON.stringify({ list, after })).toString("base64url");
}

/** The name a page of `list` starts after; a 400 naming `continue` for anything this server did not make. */
export function decodeContinue(list: string, token: string): string {
  const refuse = (why: string) =>
    new ValidationError("continue", `is not the ${CONTINUE_HEADER} header of a page of ${list} (${why})`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw refuse("not a token");
  }
  const { list: of, after } = (typeof decoded === "object" && decoded !== null ? decoded : {}) as {
    list?: unknown;
    after?: unknown;
  };
  if (typeof of !== "string" || typeof after !== "string" || after === "") throw refuse("not a token");
  if (of !== list) throw refuse("a token of another list");
  return after;
}

/**
 * A page of the children of `dir` that `keep` accepts, in key order. Filtered out children are read past
 * (a page may need several store pages); the token names the last child looked at that was served.
 */
export async function storePage<T>(
  store: ApiStore,
  dir: string,
  list: string,
  query: PageQuery,
  keep: (value: T) => boolean = () => true,
): Promise<ListPage<Entry<T>>> {
  let after = query.continue === undefined ? undefined : decodeContinue(list, query.continue);
  if (after !== undefined && (!SEGMENT.test(after) || after === "." || after === "..")) {
    throw new ValidationError("continue", `is not the ${CONTINUE_HEADER} header of a page of ${list}`);
  }
  const items: Entry<T>[] = [];
  for (;;) {
    const page = await store.listPage<T>(dir, { after, limit: query.limit });
    for (const [i, entry] of page.entries.entries()) {
      if (!keep(entry.value)) continue;
      items.push(entry);
      if (items.length < query.limit) continue;
      const more = i < page.entries.length - 1 || page.next !== undefined;
      return more ? { items, continue: encodeContinue(list, baseName(entry.key)) } : { items };
    }
    if (page.next === undefined) return { items };
    after = page.next;
  }
}

/** A page of `items`, already sorted by `keyOf` (distinct keys), for lists computed whole in memory. */
export function memoryPage<T>(
  items: T[],
  keyOf: (item: T) => string,
  list: string,
  query: PageQuery,
): ListPage<T> {
  const after = query.continue === undefined ? undefined : decodeContinue(list, query.continue);
  const start = after === undefined ? 0 : items.findIndex((item) => keyOf(item) > after);
  const chosen = start < 0 ? [] : items.slice(start, start + query.limit);
  const last = chosen[chosen.length - 1];
  const more = start >= 0 && start + query.limit < items.length;
  return more && last !== undefined
    ? { items: chosen, continue: encodeContinue(list, keyOf(last)) }
    : { items: chosen };
}

/** Sets the answer's continue header when a page has one. */
export function withContinue<T>(
  reply: { header(name: string, value: string): unknown },
  page: ListPage<T>,
): T[] {
  if (page.continue !== undefined) reply.header(CONTINUE_HEADER, page.continue);
  return page.items;
}
