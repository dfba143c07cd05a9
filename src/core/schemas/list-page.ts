// The query of every paginated list (`?limit=N&continue=TOKEN`, in Kubernetes' manner) and the header that
// carries the next page's token. A list route adds PageFields to its own query schema.
import Type, { type TArray, type TSchema } from "typebox";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../limits.js";
import { closed } from "./common.js";

/** The answer's header that holds the token of the next page; absent on the last page. */
export const CONTINUE_HEADER = "x-continue";

/** A token is short (a name and the list's kind); anything longer was not made by a server. */
export const MAX_CONTINUE_LENGTH = 1024;

export const PageFields = {
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: `At most this many items (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}); when more follow, the answer's \`${CONTINUE_HEADER}\` header holds the token of the next page.`,
  }),
  continue: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_CONTINUE_LENGTH,
      description: `The \`${CONTINUE_HEADER}\` header of the previous page: the items after it, in the same order.`,
      errorMessage: "must be the x-continue header of a previous page of this list",
    }),
  ),
};

/** What a list's 200 answer says about its pages, for its description. */
const PAGED = `In pages (\`limit\`, default ${DEFAULT_PAGE_SIZE}); the \`${CONTINUE_HEADER}\` header names the next one.`;

/** A page of a list, as a 200 answer: the items, and the continue header in the OpenAPI document. */
export function pagedList<T extends TSchema>(items: T, description: string): TArray<T> {
  const headers = {
    [CONTINUE_HEADER]: Type.String({
      description: "Present when more items follow: pass it as `?continue=` for the next page.",
    }),
  };
  // @fastify/swagger moves `headers` of a response schema into the answer's headers.
  return { ...Type.Array(items, { description: `${description} ${PAGED}` }), headers } as TArray<T>;
}

/** The query of a list that takes nothing else. */
export const PageQuery = closed(PageFields);
