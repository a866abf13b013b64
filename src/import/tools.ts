// One entry per tool: how its folder is read, which files of it the command must read, and how a
// version is keyed so files and history rows meet.

import { dbmateKeyOf, readDbmate } from "./dbmate.ts";
import { dieselKeyOf, readDiesel } from "./diesel.ts";
import { flywayKey, flywayKeyOf, readFlyway } from "./flyway.ts";
import { golangMigrateKeyOf, readGolangMigrate } from "./golang_migrate.ts";
import { gooseKeyOf, readGoose } from "./goose.ts";
import { prismaKeyOf, readPrisma } from "./prisma.ts";
import { readSections, sectionsKeyOf } from "./sections.ts";
import type { ImportTool, ReadResult, SourceFile } from "./types.ts";

/** What the import needs to know of a tool. */
export interface ToolSpec {
  /** The layout, for help and messages. */
  layout: string;
  /** Reads the files of SOURCE_DIR (paths relative to it). */
  read(files: SourceFile[]): ReadResult;
  /** Whether the command must read this path of SOURCE_DIR (`/`-separated, relative). */
  wants(path: string): boolean;
  /** The key of the migration a source path names, or null (for earlier imports' provenance). */
  keyOf(source: string): string | null;
  /** The key of a version as the tool's history table holds it, or null when it cannot be one. */
  historyKey(raw: string): string | null;
}

const DIGITS = /^\+?\d+$/;
const integerKey = (
  raw: string,
) => (DIGITS.test(raw.trim()) ? BigInt(raw.trim()).toString() : null);
const topLevel = (path: string, ext: RegExp) => !path.includes("/") && ext.test(path);

/** The tools `import --from` reads. */
export const TOOLS: Record<ImportTool, ToolSpec> = {
  "golang-migrate": {
    layout: "{version}_{title}.up.sql and {version}_{title}.down.sql",
    read: readGolangMigrate,
    wants: (p) => topLevel(p, /\.(up|down)\.[^/]*$|\.sql$/i),
    keyOf: golangMigrateKeyOf,
    historyKey: integerKey,
  },
  dbmate: {
    layout: "{version}_{description}.sql with -- migrate:up / -- migrate:down sections",
    read: readDbmate,
    wants: (p) => topLevel(p, /\.sql$/i),
    keyOf: dbmateKeyOf,
    historyKey: (raw) => raw,
  },
  flyway: {
    layout: "V{version}__{description}.sql, U{version}__{description}.sql (any depth)",
    read: readFlyway,
    wants: (p) =>
      /\.(sql|sql\.conf|sh|bash|ps1|cmd|bat|py|java|class|kt|groovy)$/i.test(p) ||
      /(^|\/)flyway\.(conf|toml)$/.test(p),
    keyOf: flywayKeyOf,
    historyKey: flywayKey,
  },
  goose: {
    layout: "{version}_{description}.sql with -- +goose Up / -- +goose Down",
    read: readGoose,
    wants: (p) => topLevel(p, /\.(sql|go)$/),
    keyOf: gooseKeyOf,
    historyKey: integerKey,
  },
  sections: {
    layout: "{timestamp}_{description}.sql with -- UP MIGRATION / -- DOWN MIGRATION",
    read: readSections,
    wants: (p) => topLevel(p, /\.sql$/i),
    keyOf: sectionsKeyOf,
    historyKey: (raw) => integerKey(raw) ?? raw,
  },
  prisma: {
    layout: "{timestamp}_{name}/migration.sql",
    read: readPrisma,
    wants: (p) => p === "migration_lock.toml" || /^[^/]+\/[^/]+$/.test(p),
    keyOf: prismaKeyOf,
    historyKey: (raw) => raw,
  },
  diesel: {
    layout: "{version}_{name}/up.sql, down.sql, metadata.toml",
    read: readDiesel,
    wants: (p) => /^[^/]+\/(up\.sql|down\.sql|metadata\.toml)$/.test(p),
    keyOf: dieselKeyOf,
    historyKey: (raw) => raw,
  },
};
