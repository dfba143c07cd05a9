// `-o json` and `-o yaml`: the objects exactly as the API server served them.
import { stringify } from "yaml";

export type StructuredFormat = "json" | "yaml";

/** A list prints as a JSON array / YAML sequence, a single object as itself; always ends in a newline. */
export function formatStructured(value: unknown, format: StructuredFormat): string {
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  return stringify(value);
}
