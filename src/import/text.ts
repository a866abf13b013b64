// Line handling shared by the readers: every tool's markers are whole comment lines, so the readers
// work line by line and keep each section's first line for messages.

/** One line of a text, without its line end. */
export interface Line {
  /** 1-based line number. */
  number: number;
  text: string;
}

/** The lines of a text; a CR before the LF is dropped, so a marker matches either way. */
export function splitLines(text: string): Line[] {
  const parts = text.split("\n");
  // A text ending in a newline has no line after it.
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts.map((t, i) => ({ number: i + 1, text: t.endsWith("\r") ? t.slice(0, -1) : t }));
}

/** Lines joined back into text, one LF after each. */
export function joinLines(lines: Line[]): string {
  return lines.map((l) => l.text + "\n").join("");
}

/** Whether a line is empty or blank. */
export function isBlank(line: string): boolean {
  return line.trim() === "";
}

/**
 * Lines without the blank ones at either end, and the number of the first kept one (or of the
 * line after them all, for a section that is only blank).
 */
export function trimBlankLines(
  lines: Line[],
  fallbackLine: number,
): { lines: Line[]; line: number } {
  let a = 0, b = lines.length;
  while (a < b && isBlank(lines[a]!.text)) a++;
  while (b > a && isBlank(lines[b - 1]!.text)) b--;
  const kept = lines.slice(a, b);
  return { lines: kept, line: kept[0]?.number ?? fallbackLine };
}

/**
 * Whether SQL text holds anything but blanks, `;` and comments: a file that does not is refused by
 * db-migrate (EMPTY_FILE). Needs no tokenizer: before the first significant character there can be
 * no string, so comments are the only thing to skip.
 */
export function hasStatement(sql: string): boolean {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (
      c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v" || c === ";"
    ) {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? n : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      // PostgreSQL's block comments nest.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else i++;
      }
    } else {
      return true;
    }
  }
  return false;
}

/** The last segment of a `/`-separated path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** Everything before the last `/` of a path, or "" for a name at the top. */
export function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The number of `/`-separated segments of a path (`a.sql` → 1, `x/a.sql` → 2). */
export function depth(path: string): number {
  return path.split("/").length;
}

/** Sorts strings by UTF-16 code units, as Go's sort.Strings, Rust's Ord for str and Java's compareTo do for ASCII. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
