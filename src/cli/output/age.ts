// Ages in kubectl's short manner: 5s, 3m, 2h, 4d, 1y.

/** How long ago `since` (an ISO timestamp or epoch ms) was, at `now` (epoch ms). */
export function formatAge(since: string | number | undefined, now: number): string {
  if (since === undefined) return "<unknown>";
  const start = typeof since === "number" ? since : Date.parse(since);
  if (Number.isNaN(start)) return "<unknown>";
  const seconds = Math.floor((now - start) / 1000);
  // A clock a little behind the server's should not print nonsense for a fresh object.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}
