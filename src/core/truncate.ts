// How much of what a client sent an answer or a log line repeats: a huge bad key or header is named by its
// start and its length, never echoed whole (a 1 MB key would otherwise be sent back and logged each time).
import { MAX_ECHO_LENGTH } from "./limits.js";

/** `text` itself when short; else its first MAX_ECHO_LENGTH characters and how long it was. */
export function truncated(text: string, max = MAX_ECHO_LENGTH): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length} characters)`;
}
