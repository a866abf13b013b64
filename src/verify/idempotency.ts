// The idempotency check of `verify`: on a scratch database, apply every file (the migrations, then
// the seeds of the mode), snapshot, then apply every file a second time, ignoring tracking, and
// hold each file to the rule: its second run must neither fail nor change anything. Applying and
// snapshotting are injected, so the loop runs the same on PGlite, on a server, and in tests.
//
// After each file of the second pass, cheap fingerprints, cheapest first (the server's next
// transaction ID, then row versions of the catalogs and tables), say whether anything may have
// changed; only then is a full snapshot read and compared with the last one, so each change is put
// down to the file that made it.

import { type Change, describeChanges, diffSnapshots, objectOf } from "./diff.ts";
import { changeHint, failureHint } from "./hints.ts";
import { locateChange, type Location, type StatementAt } from "./locate.ts";
import { contentTables, objectKey, type Snapshot } from "./snapshot.ts";

/** A file to verify: a migration or a seed, read from disk. */
export interface VerifyFile {
  /** The path relative to the database's folder: `V007__projects.sql`, `reference/010_rbac.yaml`. */
  script: string;
  format: "sql" | "yaml" | "csv";
  /** The file's text, to place a change on a line (empty for a CSV seed). */
  text: string;
}

/** What the loop is given to do its work. */
export interface IdempotencySteps<F extends VerifyFile> {
  /** Applies one file; throws ApplyError (or a server error) when the database refuses it. */
  apply(file: F, pass: 1 | 2): Promise<void>;
  /** A full snapshot of the database (snapshot.ts's takeSnapshot). */
  snapshot(): Promise<Snapshot>;
  /**
   * Values that change whenever the snapshot may have, cheapest first; each is given the content
   * tables of the last snapshot and returns null when it cannot tell (snapshot.ts's takeWriteMark
   * and takeFingerprint). None: a full snapshot after every file.
   */
  fingerprints?: readonly ((tables: readonly string[]) => Promise<string | null>)[];
  /** The statements of an SQL text with their positions, to place a change on a line. */
  statements?(text: string): readonly StatementAt[];
  /** Said before each file runs. */
  progress?(file: F, pass: 1 | 2): void;
}

/** Why a file failed, as the driver reported it. */
export interface Failure {
  /** The server's message, first line, without the SQLSTATE. */
  message: string;
  sqlstate?: string;
  line?: number;
  column?: number;
  statement?: string;
}

/** What the check found for one file. */
export type Verdict =
  | { script: string; status: "idempotent" }
  | { script: string; status: "skipped"; extension: string }
  | { script: string; status: "first run fails"; failure: Failure }
  | { script: string; status: "not verified"; reason: string }
  | {
    script: string;
    status: "second run fails";
    failure: Failure;
    hint: string;
    /** What the failed run changed anyway (a file run outside a transaction). */
    changes: Change[];
  }
  | {
    script: string;
    status: "second run changes";
    changes: Change[];
    /** The statement the first change most likely comes from. */
    at: Location | null;
    /** Every change is undone by a later file: the end state equals the first pass's. */
    restoredLater: boolean;
    /** The later files that undo it, when known. */
    restoredBy?: string[];
    hint: string;
  };

/** The outcome of the check. */
export interface IdempotencyResult {
  verdicts: Verdict[];
  /** What differs between the end of the first pass and the end of the second. */
  overall: Change[];
  /** How many full snapshots and fingerprints were read (for the bench). */
  snapshots: number;
  fingerprints: number;
}

/** Whether a verdict is one the user must act on (exit 1). */
export function isFinding(v: Verdict): boolean {
  return v.status === "first run fails" || v.status === "second run fails" ||
    v.status === "second run changes";
}

/**
 * The failure an error from apply() stands for, or null when it is not the file's (an interrupt,
 * a lost connection), which the loop passes on. Reads ApplyError (src/errors.ts) and PostgreSQL
 * errors as postgres.js and PGlite throw them.
 */
export function failureOf(err: unknown): Failure | null {
  const e = err as Record<string, unknown> | null;
  if (e === null || typeof e !== "object") return null;
  let text: string;
  let sqlstate: string | undefined;
  if (typeof e.serverMessage === "string" && e.code === "APPLY_FAILED") {
    text = e.serverMessage;
  } else if (typeof e.severity === "string" && typeof e.message === "string") {
    text = e.message; // a server error that did not go through the driver
    if (typeof e.code === "string") sqlstate = e.code;
  } else {
    return null;
  }
  const first = text.split("\n")[0]!;
  const state = /\s*\(SQLSTATE ([0-9A-Z]{5})\)/.exec(first);
  sqlstate ??= state?.[1];
  const failure: Failure = { message: state ? first.replace(state[0], "") : first };
  if (sqlstate !== undefined) failure.sqlstate = sqlstate;
  if (typeof e.line === "number") failure.line = e.line;
  if (typeof e.column === "number") failure.column = e.column;
  if (typeof e.statement === "string") failure.statement = e.statement;
  return failure;
}

/** The extension a failure says the server does not have, or null. */
export function missingExtension(f: Failure): string | null {
  const m = /extension "([^"]+)" is not available/.exec(f.message) ??
    /extension control file "[^"]*?([^/"]+)\.control"/.exec(f.message);
  return m ? m[1]! : null;
}

/** Whether two snapshots hold the same value for a key. */
function sameAt(a: Snapshot, b: Snapshot, key: string): boolean {
  return JSON.stringify(a.objects[key] ?? null) === JSON.stringify(b.objects[key] ?? null);
}

/** Runs both passes and holds each file to the rule; see the module's comment. */
export async function checkIdempotency<F extends VerifyFile>(
  files: readonly F[],
  steps: IdempotencySteps<F>,
): Promise<IdempotencyResult> {
  const verdicts = new Map<string, Verdict>();
  let snapshots = 0, fingerprints = 0;
  const snapshot = async () => (snapshots++, await steps.snapshot());
  const levels = steps.fingerprints ?? [];
  const fingerprint = async (level: number, s: Snapshot) => {
    fingerprints++;
    return await levels[level]!(contentTables(Object.values(s.objects)));
  };
  const allMarks = async (s: Snapshot, known: (string | null)[] = []) => {
    const out: (string | null)[] = [];
    for (let i = 0; i < levels.length; i++) out.push(known[i] ?? await fingerprint(i, s));
    return out;
  };
  /** Whether the state is still the one `marks` were taken in; refreshes the marks that moved. */
  const unchanged = async (marks: (string | null)[], s: Snapshot, now: (string | null)[]) => {
    for (let i = 0; i < levels.length; i++) {
      now[i] = await fingerprint(i, s);
      if (now[i] !== null && now[i] === marks[i]) {
        for (let j = 0; j < i; j++) marks[j] = now[j]!;
        return true;
      }
    }
    return false;
  };

  // Pass 1: what a fresh database gets. A file that needs an extension the server lacks is left
  // out, and so is, after that, a file that fails (most likely it needs what was left out); else
  // the first failure stops the pass, as it stops a real run.
  const applied: F[] = [];
  const skipped: string[] = [];
  let stop: string | null = null;
  for (const file of files) {
    if (stop !== null) {
      verdicts.set(file.script, { script: file.script, status: "not verified", reason: stop });
      continue;
    }
    steps.progress?.(file, 1);
    try {
      await steps.apply(file, 1);
      applied.push(file);
    } catch (err) {
      const failure = failureOf(err);
      if (failure === null) throw err;
      const extension = missingExtension(failure);
      if (extension !== null) {
        verdicts.set(file.script, { script: file.script, status: "skipped", extension });
        skipped.push(file.script);
        continue;
      }
      if (skipped.length > 0) {
        const reason = `its first run fails after ${skipped.join(", ")} ${
          skipped.length === 1 ? "was" : "were"
        } skipped: ${failure.message}`;
        verdicts.set(file.script, { script: file.script, status: "not verified", reason });
        skipped.push(file.script);
        continue;
      }
      verdicts.set(file.script, { script: file.script, status: "first run fails", failure });
      stop = `the first run stopped at ${file.script}`;
    }
  }

  // Pass 2: every file again, each compared with the state before it.
  const first = await snapshot();
  let last = first;
  let marks = await allMarks(last);
  const changed: { file: F; changes: Change[] }[] = [];
  const restoredBy = new Map<string, string>(); // object key → the file that put it back
  for (const file of applied) {
    steps.progress?.(file, 2);
    let failure: Failure | null = null;
    try {
      await steps.apply(file, 2);
    } catch (err) {
      failure = failureOf(err);
      if (failure === null) throw err;
    }
    let changes: Change[] = [];
    const now: (string | null)[] = [];
    if (!await unchanged(marks, last, now)) {
      const next = await snapshot();
      // A change that takes an object back to where the first pass left it undoes what an earlier
      // file's second run did: that file is the one at fault, not this one.
      changes = diffSnapshots(last, next).filter((c) => {
        const o = objectOf(c);
        const key = objectKey(o.kind, o.name);
        if (!sameAt(first, next, key) || sameAt(first, last, key)) return true;
        restoredBy.set(key, file.script);
        return false;
      });
      const sameTables = contentTables(Object.values(last.objects)).join() ===
        contentTables(Object.values(next.objects)).join();
      // What was read after the file holds for `next` too, unless the tables it read changed.
      marks = await allMarks(next, sameTables ? now : []);
      last = next;
    }
    if (failure !== null) {
      verdicts.set(file.script, {
        script: file.script,
        status: "second run fails",
        failure,
        hint: failureHint(failure.statement, failure.sqlstate),
        changes,
      });
    } else if (changes.length > 0) {
      changed.push({ file, changes });
    } else {
      verdicts.set(file.script, { script: file.script, status: "idempotent" });
    }
  }

  // A change that a later file undoes leaves the end state as the first pass left it; it is
  // still a finding (that file's tracking row lost, the next run would undo the later one).
  for (const { file, changes } of changed) {
    const keys = changes.map((c) => objectKey(objectOf(c).kind, objectOf(c).name));
    const restoredLater = keys.every((k) => sameAt(first, last, k));
    const by = [...new Set(keys.map((k) => restoredBy.get(k)).filter((s) => s !== undefined))];
    const statements = file.format === "sql" && steps.statements
      ? steps.statements(file.text)
      : null;
    verdicts.set(file.script, {
      script: file.script,
      status: "second run changes",
      changes,
      at: locateChange(changes, file, statements),
      restoredLater,
      ...(restoredLater && by.length > 0 ? { restoredBy: by } : {}),
      hint: changeHint(changes, restoredLater),
    });
  }
  return {
    verdicts: files.map((f) => verdicts.get(f.script)!),
    overall: diffSnapshots(first, last),
    snapshots,
    fingerprints,
  };
}

// ---------------------------------------------------------------------------------------------
// Wording

const at = (p: { line?: number; column?: number }) =>
  p.line === undefined ? "" : ` at ${p.line}${p.column === undefined ? "" : `:${p.column}`}`;

/** A statement under its verdict, indented, as ApplyError shows it. */
function statementLines(statement: string | undefined): string[] {
  return statement === undefined ? [] : [`  statement: ${statement.replaceAll("\n", "\n    ")}`];
}

/**
 * A verdict as a user reads it: nothing for an idempotent file, else a first line naming the file
 * and what happened, then the changes and the statement, indented. `server` names the scratch
 * database in a skip notice (default: the embedded PostgreSQL).
 */
export function describeVerdict(
  v: Verdict,
  opts: { server?: string } = {},
): string[] {
  const file = v.script;
  switch (v.status) {
    case "idempotent":
      return [];
    case "skipped":
      return [
        `${file}: skipped: ${
          opts.server ?? "the embedded PostgreSQL (PGlite)"
        } has no extension "${v.extension}", so this file and what needs it are not verified ` +
        "here; rehearse them on a server that has it (verify --against=URL)",
      ];
    case "not verified":
      return [`${file}: not verified: ${v.reason}`];
    case "first run fails": {
      const f = v.failure;
      return [
        `${file}: first run fails: ${f.message}${f.sqlstate ? ` (${f.sqlstate})` : ""}${at(f)}`,
        ...statementLines(f.statement),
      ];
    }
    case "second run fails": {
      const f = v.failure;
      return [
        `${file}: second run fails: ${f.message}${f.sqlstate ? ` (${f.sqlstate})` : ""}${
          at(f)
        } — ${v.hint}`,
        ...statementLines(f.statement),
        ...describeChanges(v.changes).map((c) => `  - it changed anyway: ${c}`),
      ];
    }
    case "second run changes":
      return [
        `${file}: second run changes the ${
          v.changes.every((c) => objectOf(c).kind === "rows") ? "data" : "database"
        }${v.at ? at(v.at) : ""}${
          v.restoredLater
            ? ` (${v.restoredBy ? v.restoredBy.join(", ") : "a later file"} changes it back)`
            : ""
        } — ${v.hint}`,
        ...describeChanges(v.changes).map((c) => `  - ${c}`),
        ...statementLines(v.at?.statement),
      ];
  }
}
