// The columns `orchestra get configs|secrets|volumes` shows. Never a secret's data: the API does not serve it.
import type { ConfigInfo, SecretInfo, VolumeReport } from "../../core/types.js";
import { formatMemory } from "../quantity.js";
import { formatAge } from "./age.js";
import type { Table } from "./table.js";

const NONE = "<none>";

/** NAME VERSION KEYS SIZE USED-BY AGE (secrets add KEY-ID with -o wide). */
export function dataTable(
  items: (ConfigInfo | SecretInfo)[],
  options: { wide: boolean; now: number },
): Table {
  const headers = ["NAME", "VERSION", "KEYS", "SIZE", "USED-BY", "AGE"];
  if (options.wide) headers.push("KEY-ID");
  const rows = items.map((item) => {
    const row = [
      item.name,
      String(item.version),
      item.keys.join(","),
      String(item.size),
      item.usedBy.length === 0 ? NONE : item.usedBy.join(","),
      formatAge(item.updatedAt, options.now),
    ];
    if (options.wide) row.push("keyId" in item ? item.keyId : NONE);
    return row;
  });
  return { headers, rows };
}

/** NAME NODE DEPLOYMENT SIZE IN-USE AGE; a volume to be purged says so in IN-USE. */
export function volumeTable(volumes: VolumeReport[], options: { now: number }): Table {
  const headers = ["NAME", "NODE", "DEPLOYMENT", "SIZE", "IN-USE", "AGE"];
  const rows = volumes.map((volume) => [
    volume.name,
    volume.node,
    volume.deployment,
    volume.sizeBytes === undefined ? "?" : formatMemory(volume.sizeBytes),
    `${volume.inUse ? "yes" : "no"}${volume.purge ? " (purging)" : ""}`,
    formatAge(volume.createdAt, options.now),
  ]);
  return { headers, rows };
}
