// CPU (millicores) and memory (bytes) quantities: parsed from flags like `--memory 128Mi`, printed in tables.

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};
const MEMORY = /^(\d+(?:\.\d+)?)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/;
const CPU = /^(\d+)(m?)$/;

/** `134217728`, `128Mi`, `1Gi`, `1.5G` → bytes (rounded to a whole byte); undefined if unreadable. */
export function parseMemory(text: string): number | undefined {
  const match = MEMORY.exec(text.trim());
  if (!match) return undefined;
  const unit = MEMORY_UNITS[match[2] ?? ""] ?? 1;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `500` or `500m` → 500 millicores; undefined if unreadable. */
export function parseCpu(text: string): number | undefined {
  const match = CPU.exec(text.trim());
  if (!match) return undefined;
  const millicores = Number(match[1]);
  return Number.isSafeInteger(millicores) ? millicores : undefined;
}

/** 2000 → `2`, 1500 → `1500m`. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Bytes in the largest binary unit that keeps the number at least 1, with at most one decimal: `7.5Gi`. */
export function formatMemory(bytes: number): string {
  const units = ["Ki", "Mi", "Gi", "Ti", "Pi"];
  let value = bytes;
  let unit = "";
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${rounded}${unit}`;
}
