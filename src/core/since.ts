// `since` for logs: a duration back from now (`30s`, `10m`, `2h`, `1h30m`, as `docker logs --since` and
// `kubectl logs --since` take it) or an RFC 3339 time. Parsed against an injected `now`.
import { ValidationError } from "./errors.js";

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

/** Epoch ms that `text` stands for at `now`; throws a ValidationError naming `field` when it is neither form. */
export function parseSince(text: string, now: number, field = "since"): number {
  const duration = DURATION.exec(text);
  if (duration && text !== "") {
    const [, h, m, s, ms] = duration.map((part) => Number(part ?? 0));
    return now - ((h ?? 0) * 3_600_000 + (m ?? 0) * 60_000 + (s ?? 0) * 1000 + (ms ?? 0));
  }
  if (RFC3339.test(text)) {
    const time = Date.parse(text);
    if (!Number.isNaN(time)) return time;
  }
  throw new ValidationError(
    field,
    `must be a duration such as 30s, 10m, 2h or 1h30m, or an RFC 3339 time, got "${text}"`,
  );
}

/** The schema rule (`checked`): the value parses. */
export function checkSince(value: string, field: string): void {
  parseSince(value, 0, field);
}
