// Migration file names: the version a new file should take, in the zero-padding the folder already
// uses. Pure, so the file-name hint of a run and a command that creates migrations agree.

const MIGRATION_NAME = /^V(\d+)__(.+)\.sql$/;
// Names a user meant as migrations: `v3__x.sql`, `V3_x.sql`, `003_x.sql`, `3-x.sql`.
const NEAR_MISS = /^[Vv]?(\d+)[_-]+(.*?)\.sql$/i;
const DEFAULT_WIDTH = 3;

function versionsOf(names: string[]): { digits: string; version: number }[] {
  const out: { digits: string; version: number }[] = [];
  for (const name of names) {
    const m = MIGRATION_NAME.exec(name);
    if (m?.[1] === undefined) continue;
    const version = Number(m[1]);
    if (Number.isSafeInteger(version)) out.push({ digits: m[1], version });
  }
  return out;
}

/**
 * The zero-padding of a folder's migration names: the widest version written with a leading zero
 * (`V001` → 3), 1 when none has one (`V1`, `V20240101120000`), and 3 for an empty folder.
 */
export function versionWidth(names: string[]): number {
  const versions = versionsOf(names);
  if (versions.length === 0) return DEFAULT_WIDTH;
  let width = 1;
  for (const v of versions) {
    if (v.digits.length > 1 && v.digits.startsWith("0")) width = Math.max(width, v.digits.length);
  }
  return width;
}

/** The version after the highest one among a folder's migration names, as digits in its padding. */
export function nextVersion(names: string[]): string {
  const max = versionsOf(names).reduce((m, v) => Math.max(m, v.version), 0);
  return String(max + 1).padStart(versionWidth(names), "0");
}

/** `add orders!` → `add_orders`: a description that fits `V<n>__<description>.sql`. */
export function describeForName(text: string): string {
  const words = text.replace(/\.sql$/i, "").replace(/[^\p{L}\p{N}]+/gu, "_").replace(
    /^_+|_+$/g,
    "",
  );
  return words === "" ? "migration" : words;
}

/**
 * The name to propose for a `.sql` file of a migrations folder whose name is off the pattern: its
 * own version when it has one that is free (`V3_x.sql` → `V3__x.sql`), else the next free version;
 * in the folder's padding either way.
 */
export function suggestMigrationName(badName: string, names: string[]): string {
  const taken = new Set(versionsOf(names).map((v) => v.version));
  const width = versionWidth(names);
  const near = NEAR_MISS.exec(badName);
  if (near?.[1] !== undefined) {
    const version = Number(near[1]);
    if (Number.isSafeInteger(version) && version > 0 && !taken.has(version)) {
      return `V${String(version).padStart(width, "0")}__${describeForName(near[2] ?? "")}.sql`;
    }
  }
  const description = near?.[2] ? near[2] : badName;
  return `V${nextVersion(names)}__${describeForName(description)}.sql`;
}
