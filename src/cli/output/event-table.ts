// Events as `orchestra events` and `orchestra describe` show them: LAST SEEN (with how often and since when
// for a repeated event, as kubectl's `3m (x5 over 10m)`), TYPE, REASON, OBJECT, MESSAGE.
import type { ClusterEvent } from "../../core/types.js";
import { formatAge } from "./age.js";
import type { Table } from "./table.js";

/** `5s`, or `5s (x3 over 2m)` for an event seen 3 times since its first time. */
export function lastSeenText(event: ClusterEvent, now: number): string {
  const age = formatAge(event.time, now);
  const count = event.count ?? 1;
  if (count <= 1) return age;
  return `${age} (x${count} over ${formatAge(event.firstTime ?? event.time, now)})`;
}

/** LAST SEEN TYPE REASON OBJECT MESSAGE; without OBJECT when every event is about one object. */
export function eventTable(events: ClusterEvent[], now: number, options: { object?: boolean } = {}): Table {
  const object = options.object ?? true;
  const headers = object
    ? ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    : ["LAST SEEN", "TYPE", "REASON", "FROM", "MESSAGE"];
  return {
    headers,
    rows: events.map((event) => [
      lastSeenText(event, now),
      event.type,
      event.reason,
      object ? event.object : event.source,
      event.message.replace(/\s+/g, " ").trim(),
    ]),
  };
}
