// Drift: applied migrations whose files changed or are gone. Found by the plan; told here, with a
// unified diff of each change, as the one exit-3 error of a run.

import type { Driver } from "../drivers/driver.ts";
import { unifiedDiff } from "./diff.ts";
import { DriftError, type DriftItem } from "./errors.ts";
import type { PlanEntry } from "./plan.ts";

/** The drifted migrations of one database, and the driver that can read their applied texts. */
export interface Drifted {
  database: string;
  driver: Driver;
  drift: PlanEntry[];
}

/** Builds the exit-3 error naming each drifted file of each database, with a diff of each change. */
export async function driftError(dbs: Drifted[]): Promise<DriftError> {
  const items: DriftItem[] = [];
  const parts: string[] = [];
  for (const db of dbs) {
    const stored = await db.driver.readContents(db.drift.map((e) => e.row!.script)).catch(() =>
      new Map<string, string | null>()
    );
    for (const e of db.drift) {
      const row = e.row!;
      const item: DriftItem = {
        script: e.file?.script ?? row.script,
        state: e.state as DriftItem["state"],
        appliedChecksum: row.checksum,
      };
      if (e.file) {
        item.fileChecksum = e.file.checksum;
        item.diff = await unifiedDiff(row.script, stored.get(row.script) ?? null, e.file.text);
        parts.push(
          `${db.database}: "${e.file.script}" was applied with checksum ${
            row.checksum.slice(0, 12)
          }… but the file's is ${e.file.checksum.slice(0, 12)}…:\n${
            item.diff.split("\n").map((l) => `      ${l}`).join("\n")
          }`,
        );
      } else {
        parts.push(
          `${db.database}: "${row.script}" (version ${row.version}) was applied but its file is gone`,
        );
      }
      items.push(item);
    }
  }
  const names = dbs.map((d) => `"${d.database}"`).join(", ");
  return new DriftError(
    dbs[0]!.database,
    items,
    `drift in ${names}: ${items.length} applied ${
      items.length === 1 ? "migration differs" : "migrations differ"
    } from the files; nothing was applied\n  ${parts.join("\n  ")}`,
  );
}
