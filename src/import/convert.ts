// From another tool's folder to our layout: read it, give each migration its version, and write
// each as `V<version>__<description>.sql` (plus `U…` from its down SQL). Every file starts with the
// no-transaction directive when the tool ran it outside a transaction, then a provenance line that
// a later import reads back to keep the versions it gave. Pure: the command does the I/O.

import { describeForName } from "../core/versions.ts";
import { mapVersions, type PreviousVersion } from "./mapping.ts";
import { hasStatement, splitLines, trimBlankLines } from "./text.ts";
import { TOOLS } from "./tools.ts";
import type {
  ConvertedFile,
  ImportNote,
  ImportPlan,
  ImportProblem,
  ImportTool,
  MappedMigration,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

const DIRECTIVE = "-- db-migrate: no-transaction";
const PROVENANCE = /^-- Imported by db-migrate from ([a-z-]+): (.+?)(?: \(down\))?$/;
const OURS = /^([VU])(\d+)__(.+)\.sql$/;

/** The provenance line of a converted file. */
export function provenanceLine(tool: ImportTool, source: string, down = false): string {
  return `-- Imported by db-migrate from ${tool}: ${source}${down ? " (down)" : ""}`;
}

/** The tool and source a converted file names in its first lines, or null for any other file. */
export function readProvenance(text: string): { tool: string; source: string } | null {
  for (const line of text.split("\n", 2)) {
    const m = PROVENANCE.exec(line);
    if (m) return { tool: m[1]!, source: m[2]! };
  }
  return null;
}

/**
 * The versions an earlier import of the same tool gave, by key, from the files of the target
 * folder (name and text): only V files that carry the tool's provenance line count.
 */
export function previousVersions(
  tool: ImportTool,
  existing: SourceFile[],
): Map<string, PreviousVersion> {
  const out = new Map<string, PreviousVersion>();
  for (const f of existing) {
    const name = OURS.exec(f.path);
    if (name?.[1] !== "V") continue;
    const p = readProvenance(f.text);
    if (p?.tool !== tool) continue;
    const key = TOOLS[tool].keyOf(p.source);
    const version = Number(name[2]);
    if (key === null || !Number.isSafeInteger(version)) continue;
    out.set(key, {
      version,
      digits: name[2]!,
      rawVersion: rawVersionOf(tool, p.source),
      name: f.path,
    });
  }
  return out;
}

/** The version as written in a Flyway source name, for reading an earlier scheme back. */
function rawVersionOf(tool: ImportTool, source: string): string {
  if (tool !== "flyway") return "";
  const base = source.slice(source.lastIndexOf("/") + 1);
  return base.slice(1, base.indexOf("__"));
}

/** The SQL of sections joined into one file's body, and whether it must run outside a transaction. */
export function joinSections(sections: Section[]): { body: string; transaction: boolean } {
  const bodies = sections.map((s) => ({
    text: trimBlankLines(splitLines(s.text), s.line).lines.map((l) => l.text + "\n").join(""),
    transaction: s.transaction,
  }));
  const transaction = bodies.every((b) => b.transaction);
  const mixed = !transaction && bodies.some((b) => b.transaction);
  // In a no-transaction file the file's own BEGIN ... COMMIT run as written: a section the tool
  // ran in a transaction of its own keeps one.
  const parts = bodies.filter((b) => b.text !== "").map((b) =>
    mixed && b.transaction ? `BEGIN;\n${b.text}COMMIT;\n` : b.text
  );
  return { body: parts.join("\n"), transaction };
}

function render(
  tool: ImportTool,
  sections: Section[],
  source: string,
  down: boolean,
): { text: string; empty: boolean } {
  const { body, transaction } = joinSections(sections);
  const empty = !hasStatement(body);
  const head = (transaction ? "" : DIRECTIVE + "\n") + provenanceLine(tool, source, down) + "\n";
  const filler = empty
    ? `SELECT 1; -- the ${tool} migration holds no statement; kept so that its version stays\n`
    : "";
  return { text: head + body + filler, empty };
}

function convertOne(
  tool: ImportTool,
  m: SourceMigration,
  digits: string,
  version: number,
  notes: ImportNote[],
): { migration: ConvertedFile; undo: ConvertedFile | null } {
  const description = describeForName(m.description);
  const up = render(tool, m.up, m.source, false);
  if (up.empty) {
    notes.push({
      file: m.source,
      message: "holds no statement: written with SELECT 1, since db-migrate refuses an empty file",
    });
  }
  const migration: ConvertedFile = {
    name: `V${digits}__${description}.sql`,
    kind: "migration",
    version,
    text: up.text,
  };
  let undo: ConvertedFile | null = null;
  if (m.down.length > 0) {
    const downFile = m.down[0]!.file;
    const d = render(tool, m.down, downFile, downFile === m.source);
    if (d.empty) {
      notes.push({
        file: downFile,
        line: m.down[0]!.line,
        message: "the down SQL holds no statement: no undo file written, so `undo` refuses " +
          "this version rather than undo nothing",
      });
    } else {
      undo = { name: `U${digits}__${description}.sql`, kind: "undo", version, text: d.text };
    }
  }
  return { migration, undo };
}

/**
 * Converts a tool's folder (its files, paths relative to SOURCE_DIR) to our layout. `existing` is
 * what the target folder holds already (name and text): versions an earlier import gave are kept.
 */
export function convertProject(
  tool: ImportTool,
  files: SourceFile[],
  existing: SourceFile[] = [],
): ImportPlan {
  const spec = TOOLS[tool];
  const read = spec.read(files);
  const problems: ImportProblem[] = [...read.problems];
  const notes: ImportNote[] = [...read.notes];
  if (read.migrations.length === 0 && problems.length === 0) {
    problems.push({
      file: ".",
      message: `no ${tool} migration found: expected ${spec.layout}`,
      hint: "give the folder that holds the migrations as SOURCE_DIR",
    });
  }
  const { versions, problems: versionProblems } = mapVersions(
    tool,
    read.migrations,
    previousVersions(tool, existing),
  );
  problems.push(...versionProblems);
  const migrations: MappedMigration[] = [];
  for (const m of read.migrations) {
    const v = versions.get(m.key);
    if (!v) continue;
    migrations.push({
      key: m.key,
      source: m.source,
      version: v.version,
      digits: v.digits,
      kept: v.kept,
      ...convertOne(tool, m, v.digits, v.version, notes),
    });
  }
  return { tool, migrations, problems, notes };
}

/** What writing a plan into the target folder does to each file. */
export interface WritePlan {
  /** New files. */
  write: ConvertedFile[];
  /** Files already there with exactly this text (an earlier import). */
  unchanged: ConvertedFile[];
  /** Files that cannot be written: any one makes the command exit 2 and write nothing. */
  problems: ImportProblem[];
  notes: ImportNote[];
}

/**
 * Compares a plan with the target folder's files: a name already there must hold the same text
 * (else the source changed after it was imported, or the file was edited), and no version may be
 * taken by another file.
 */
export function planWrites(plan: ImportPlan, existing: SourceFile[]): WritePlan {
  const out: WritePlan = { write: [], unchanged: [], problems: [], notes: [] };
  const byName = new Map(existing.map((f) => [f.path, f]));
  const previous = previousVersions(plan.tool, existing);
  const byVersion = new Map<string, string>();
  for (const f of existing) {
    const m = OURS.exec(f.path);
    if (m) byVersion.set(`${m[1]}${Number(m[2])}`, f.path);
  }
  for (const mm of plan.migrations) {
    for (const f of [mm.migration, mm.undo]) {
      if (!f) continue;
      const there = byName.get(f.name);
      if (there) {
        if (there.text === f.text) out.unchanged.push(f);
        else {
          out.problems.push({
            file: mm.source,
            message: `"${f.name}" is already in the target folder with other content: the ` +
              "source changed after it was imported, or the imported file was edited",
            hint: "an applied migration does not change: restore the source file, or compare " +
              "the two and move the change into a new migration",
          });
        }
        continue;
      }
      const earlier = previous.get(mm.key);
      if (f.kind === "migration" && earlier) {
        out.problems.push({
          file: mm.source,
          message: `an earlier import wrote this migration as "${earlier.name}"; the source's ` +
            `name changed since, which would make it "${f.name}"`,
          hint: "give the source its earlier name back: the imported file is what db-migrate " +
            "tracks, and it must not change",
        });
        continue;
      }
      const taken = byVersion.get(`${f.kind === "migration" ? "V" : "U"}${f.version}`);
      if (taken !== undefined) {
        out.problems.push({
          file: mm.source,
          message: `version ${f.version} is taken in the target folder by "${taken}"`,
          hint: "import into an empty folder, or move that file to another version",
        });
        continue;
      }
      out.write.push(f);
    }
  }
  const keys = new Set(plan.migrations.map((m) => m.key));
  for (const [key, p] of previous) {
    if (!keys.has(key)) {
      out.notes.push({
        file: p.name,
        message: "imported before, and its source is no longer in SOURCE_DIR: left as it is",
      });
    }
  }
  return out;
}
