// Plain data of `db-migrate import`: another tool's files as read, what they become in our layout,
// and what could not be converted. No I/O here or in the readers: the command lists and reads the
// source folder and hands the texts in, so every rule is unit-tested without files.

/** The tools whose projects `import --from=TOOL` reads. */
export const IMPORT_TOOLS = [
  "golang-migrate",
  "dbmate",
  "flyway",
  "goose",
  "sections",
  "prisma",
  "diesel",
] as const;

/** A tool `import --from` accepts. */
export type ImportTool = typeof IMPORT_TOOLS[number];

/** One file of the source folder: its path relative to SOURCE_DIR with `/` separators, and its text. */
export interface SourceFile {
  path: string;
  /** The decoded text (UTF-8, no BOM, LF line ends: as discover.ts decodes files). */
  text: string;
}

/** A construct with no equivalent, or a file the tool itself would refuse: the import exits 2. */
export interface ImportProblem {
  /** The source file, relative to SOURCE_DIR. */
  file: string;
  /** 1-based line, when the problem is at one. */
  line?: number;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** Something converted with a change worth telling (an empty down section, a marker dropped). */
export interface ImportNote {
  file: string;
  line?: number;
  message: string;
}

/** The SQL of one direction of a migration, cut out of its source file. */
export interface Section {
  /** The source file the text comes from. */
  file: string;
  /** 1-based line of the source file where `text` starts. */
  line: number;
  /** The SQL, markers removed; may be empty. */
  text: string;
  /** False when the tool runs it outside a transaction. */
  transaction: boolean;
}

/** One migration of the source project, as its tool sees it. */
export interface SourceMigration {
  /** The version as the tool compares it with its history table (see historyKey()). */
  key: string;
  /** The version as written in the file name: `001`, `20240101120000`, `1.2.3`, `2017-09-09-123456`. */
  rawVersion: string;
  /** The description part of the name, as written (`create_users`). */
  description: string;
  /** Up sections in the order the tool runs them (dbmate files may hold several). */
  up: Section[];
  /** Down sections, in the order the tool runs them; empty when there is none. */
  down: Section[];
  /** The file (or folder) that names the migration, for messages and provenance. */
  source: string;
}

/** What a reader found in a source folder. */
export interface ReadResult {
  migrations: SourceMigration[];
  problems: ImportProblem[];
  notes: ImportNote[];
}

/** A file the import writes into `migrations/<database>/`. */
export interface ConvertedFile {
  /** `V<digits>__<description>.sql` or `U<digits>__<description>.sql`. */
  name: string;
  kind: "migration" | "undo";
  version: number;
  /** Normalised text (LF, no BOM), exactly as written. */
  text: string;
}

/** One source migration and what it became. */
export interface MappedMigration {
  key: string;
  source: string;
  version: number;
  /** The digits written in the names (keep the source's zero-padding). */
  digits: string;
  migration: ConvertedFile;
  undo: ConvertedFile | null;
  /** Whether the version comes from an earlier import of the same source (re-run). */
  kept: boolean;
}

/** What an import would write, and why it cannot when it cannot. */
export interface ImportPlan {
  tool: ImportTool;
  /** In the tool's order, which is also version order. */
  migrations: MappedMigration[];
  /** Constructs with no equivalent: any one makes the command exit 2 and write nothing. */
  problems: ImportProblem[];
  notes: ImportNote[];
}
