// Prisma Migrate: `migrations/<folder>/migration.sql`, one folder per migration named
// `YYYYMMDDHHMMSS_<name>`, applied in folder-name order and recorded by folder name in
// `_prisma_migrations.migration_name`. `migration_lock.toml` beside the folders names the
// provider. Prisma sends a script whole; on PostgreSQL a multi-statement script runs in one
// implicit transaction, so each becomes one of our files run in a transaction. There are no down
// migrations.

import { byCodeUnits, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  SourceFile,
  SourceMigration,
} from "./types.ts";

const FOLDER = /^(\d+)_(.+)$/;

/** The key Prisma records: the migration's folder name. */
export function prismaKeyOf(source: string): string | null {
  const parts = source.split("/");
  return parts.length === 2 && parts[1] === "migration.sql" ? parts[0]! : null;
}

/** The provider a `migration_lock.toml` names (`provider = "postgresql"`), or null. */
export function prismaProvider(lockText: string): { provider: string; line: number } | null {
  for (const l of splitLines(lockText)) {
    const m = /^\s*provider\s*=\s*"([^"]*)"/.exec(l.text);
    if (m) return { provider: m[1]!, line: l.number };
  }
  return null;
}

/** Reads a Prisma `migrations` folder (the folder that holds `migration_lock.toml`). */
export function readPrisma(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const lock = files.find((f) => f.path === "migration_lock.toml");
  if (lock) {
    const p = prismaProvider(lock.text);
    if (p && p.provider !== "postgresql" && p.provider !== "postgres") {
      problems.push({
        file: lock.path,
        line: p.line,
        message: `the migrations were written for ${p.provider}, not PostgreSQL`,
        hint: "import a PostgreSQL project's migrations",
      });
    }
  }
  const folders = new Map<string, SourceFile[]>();
  for (const f of files) {
    const parts = f.path.split("/");
    if (parts.length !== 2 || parts[0]!.startsWith(".")) continue;
    folders.set(parts[0]!, [...(folders.get(parts[0]!) ?? []), f]);
  }
  const migrations: SourceMigration[] = [];
  const byVersion = new Map<string, string>();
  for (const folder of [...folders.keys()].sort(byCodeUnits)) {
    const script = folders.get(folder)!.find((f) => f.path === `${folder}/migration.sql`);
    if (!script) {
      problems.push({
        file: folder,
        message: "a migration folder without migration.sql",
        hint: "Prisma refuses it too; add the script or remove the folder",
      });
      continue;
    }
    const m = FOLDER.exec(folder);
    if (!m) {
      problems.push({
        file: script.path,
        message: `"${folder}" does not start with a timestamp and "_": no version to give it`,
        hint: "rename the folder YYYYMMDDHHMMSS_name, then mark the new name applied in " +
          "_prisma_migrations (UPDATE … SET migration_name) before importing",
      });
      continue;
    }
    const twin = byVersion.get(BigInt(m[1]!).toString());
    if (twin !== undefined) {
      problems.push({
        file: script.path,
        message: `timestamp ${m[1]} is also the timestamp of "${twin}"`,
        hint: "give one of the folders another timestamp",
      });
      continue;
    }
    byVersion.set(BigInt(m[1]!).toString(), folder);
    migrations.push({
      key: folder,
      rawVersion: m[1]!,
      description: m[2]!,
      up: [{ file: script.path, line: 1, text: script.text, transaction: true }],
      down: [],
      source: script.path,
    });
  }
  return { migrations, problems, notes };
}
