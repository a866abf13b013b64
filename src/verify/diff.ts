// What changed between two snapshots, as data and as short, stable lines a user reads:
// `column "projects.archived" added (boolean not null)`, `index "users_email_idx" definition
// changed: ... → ...`. Pure: no database, no I/O.

import { objectKey, type Snapshot, type SnapshotObject } from "./snapshot.ts";

/** One difference between two snapshots. */
export type Change =
  | { type: "added"; object: SnapshotObject; copyOf?: string }
  | { type: "removed"; object: SnapshotObject }
  | {
    type: "changed";
    before: SnapshotObject;
    after: SnapshotObject;
    /** The properties whose values differ, in name order. */
    props: string[];
  };

// Objects that belong to a table, named `<table>.<name>`: when the table itself is added or
// removed, they go with it and are not listed one by one.
const TABLE_PARTS = new Set(["column", "constraint", "trigger", "rule", "policy", "rows"]);

/** The table an object belongs to, or null. */
function tableOf(o: SnapshotObject): string | null {
  if (o.kind === "rows") return o.name;
  if (o.kind === "index") return o.props.table ?? null;
  if (!TABLE_PARTS.has(o.kind)) return null;
  return splitLast(o.name)[0];
}

/** `a.b."c.d"` → [`a.b`, `"c.d"`]: the qualified name without its last part, and that part. */
export function splitLast(name: string): [string, string] {
  let inQuotes = false;
  let cut = -1;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === "." && !inQuotes) cut = i;
  }
  return cut < 0 ? ["", name] : [name.slice(0, cut), name.slice(cut + 1)];
}

/** The definition of an index or constraint with its own name taken out, to find copies. */
function shape(o: SnapshotObject): string | null {
  const def = o.props.definition;
  if (def === undefined) return null;
  if (o.kind !== "index") return def;
  const [, own] = splitLast(o.name);
  return def.replace(` INDEX ${own} ON `, " INDEX ON ");
}

/** Another index or constraint of the same table in `snap` with the same definition, by name. */
function copyOf(snap: Snapshot, o: SnapshotObject): string | null {
  if (o.kind !== "index" && o.kind !== "constraint") return null;
  const table = tableOf(o);
  const mine = shape(o);
  if (table === null || mine === null) return null;
  for (const other of Object.values(snap.objects)) {
    if (other.kind !== o.kind || other.name === o.name || tableOf(other) !== table) continue;
    if (shape(other) === mine) return other.name;
  }
  return null;
}

/** The differences that take `before` to `after`, schema first, then table contents, each by name. */
export function diffSnapshots(before: Snapshot, after: Snapshot): Change[] {
  const out: Change[] = [];
  const gone = new Set<string>(); // tables added or removed as a whole
  for (const [key, o] of Object.entries(after.objects)) {
    if (!(key in before.objects) && o.kind === "table") gone.add(o.name);
  }
  for (const [key, o] of Object.entries(before.objects)) {
    if (!(key in after.objects) && o.kind === "table") gone.add(o.name);
  }
  const partOfGone = (o: SnapshotObject) => {
    const t = tableOf(o);
    return t !== null && gone.has(t);
  };
  for (const [key, b] of Object.entries(before.objects)) {
    const a = after.objects[key];
    if (a === undefined) {
      if (!partOfGone(b)) out.push({ type: "removed", object: b });
      continue;
    }
    const names = new Set([...Object.keys(b.props), ...Object.keys(a.props)]);
    const props = [...names].filter((p) => b.props[p] !== a.props[p]).sort();
    if (props.length > 0) out.push({ type: "changed", before: b, after: a, props });
  }
  for (const [key, a] of Object.entries(after.objects)) {
    if (key in before.objects || partOfGone(a)) continue;
    const copy = copyOf(after, a);
    out.push(
      copy === null ? { type: "added", object: a } : { type: "added", object: a, copyOf: copy },
    );
  }
  const rank = (c: Change) => (objectOf(c).kind === "rows" ? 1 : 0);
  const key = (c: Change) => objectKey(objectOf(c).kind, objectOf(c).name);
  return out.sort((x, y) => rank(x) - rank(y) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/** The object a change is about (after the change where there is one). */
export function objectOf(c: Change): SnapshotObject {
  return c.type === "changed" ? c.after : c.object;
}

// ---------------------------------------------------------------------------------------------
// Wording

const MAX_VALUE = 80;

/** A qualified name as users read it: without the default schema `public.`, in double quotes. */
export function displayName(name: string): string {
  const short = name.startsWith("public.") ? name.slice("public.".length) : name;
  return short.includes('"') ? short : `"${short}"`;
}

/** `constraint "users_email_key" on "users"`, `column "users.email"`, `rows of "users"`. */
export function describeObject(o: SnapshotObject): string {
  if (o.kind === "rows") return `rows of ${displayName(o.name)}`;
  if (o.kind === "column" || !TABLE_PARTS.has(o.kind)) return `${o.kind} ${displayName(o.name)}`;
  const [table, own] = splitLast(o.name);
  return `${o.kind} ${displayName(own)} on ${displayName(table)}`;
}

/** A value cut to about `max` characters in the middle, on one line. */
export function shorten(value: string, max = MAX_VALUE): string {
  const flat = value.replace(/\s*\n\s*/g, " ");
  if (flat.length <= max) return flat;
  const half = Math.floor((max - 5) / 2);
  return `${flat.slice(0, half)} ... ${flat.slice(flat.length - half)}`;
}

/** Where two multi-line values first differ: `line 6: "a" → "b"`, or both shortened. */
function valueChange(before: string | undefined, after: string | undefined): string {
  const none = "(none)";
  if (
    before === undefined || after === undefined || (!before.includes("\n") && !after.includes("\n"))
  ) {
    return `${before === undefined ? none : shorten(before)} → ${
      after === undefined ? none : shorten(after)
    }`;
  }
  const b = before.split("\n"), a = after.split("\n");
  let i = 0;
  while (i < b.length && i < a.length && b[i] === a[i]) i++;
  const side = (lines: string[]) => (i < lines.length ? shorten(lines[i]!.trim()) : "(end)");
  return `at line ${i + 1}: ${side(b)} → ${side(a)}`;
}

/** What an added object is, in a few words: a column's type, an index's definition. */
function summary(o: SnapshotObject): string {
  const p = o.props;
  switch (o.kind) {
    case "column":
      return [p.type, p["not null"] ? "not null" : "", p.default ? `default ${p.default}` : ""]
        .filter(Boolean).join(" ");
    case "rows":
      return `${p.rows} ${p.rows === "1" ? "row" : "rows"}`;
    case "enum":
      return p.labels ?? "";
    case "sequence":
    case "extension":
      return p.sequence ?? (p.version ? `version ${p.version}` : "");
    default:
      return p.definition === undefined ? "" : shorten(p.definition);
  }
}

// Properties whose value is "yes" when set: worded "no" when absent, not "(none)".
const FLAGS = new Set(["not null", "unlogged", "invalid", "clustered"]);

/** One line per change, stable for equal input: what it is, then what happened. */
export function describeChange(c: Change): string {
  if (c.type === "added") {
    const copy = c.copyOf === undefined ? "" : `a copy of ${displayName(splitLast(c.copyOf)[1])}`;
    const what = [summary(c.object), copy].filter(Boolean).join(", ");
    return `${describeObject(c.object)} added${what ? ` (${what})` : ""}`;
  }
  if (c.type === "removed") return `${describeObject(c.object)} removed`;
  const { before, after } = c;
  if (after.kind === "rows") {
    const [b, a] = [Number(before.props.rows), Number(after.props.rows)];
    return b === a
      ? `${describeObject(after)} changed (${a} ${a === 1 ? "row" : "rows"}, same count)`
      : `${describeObject(after)}: ${b} → ${a} rows`;
  }
  return c.props.map((p) => {
    const [b, a] = [before.props[p], after.props[p]];
    const change = FLAGS.has(p) ? `${b ? "yes" : "no"} → ${a ? "yes" : "no"}` : valueChange(b, a);
    return `${describeObject(after)} ${p} changed: ${change}`;
  }).join("\n");
}

/** Every change as lines (a change of several properties gives one line each). */
export function describeChanges(changes: readonly Change[]): string[] {
  return changes.flatMap((c) => describeChange(c).split("\n"));
}
