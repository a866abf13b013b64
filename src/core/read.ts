// Reading one file of a database: bounded by --max-file-size, decoded as strict UTF-8 and
// checksummed, and, when it cannot be read, why and what to do (exit 2, naming the file).

import { decodeFile, fileContent, Utf8Error } from "./checksum.ts";
import { ConfigError } from "./errors.ts";
import { checksumFileSync } from "../seeds/csv_file.ts";

const MB = 1024 * 1024;

/** Why a path cannot be read, and what to do about it, from the error reading it raised. */
export function unreadableReason(
  err: unknown,
  link: { target: string } | null,
): { reason: string; hint: string } {
  const via = link ? ` (a symbolic link to "${link.target}")` : "";
  if (err instanceof Deno.errors.FilesystemLoop) {
    return {
      reason: `it is a symbolic link that leads back to itself${via}`,
      hint: "point the link at a file, or replace it with the file",
    };
  }
  if (err instanceof Deno.errors.NotFound) {
    return link
      ? {
        reason: `it is a symbolic link to "${link.target}", which does not exist`,
        hint: "fix the link, or mount the volume it points into",
      }
      : { reason: "it disappeared while being read", hint: "run again" };
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return {
      reason: `permission denied${via}`,
      hint: "check the file's permissions: the user the job runs as must be able to read it",
    };
  }
  if (err instanceof Deno.errors.NotCapable) {
    return {
      reason: `the program's permissions do not cover it${via}`,
      hint: "grant read access to it (--allow-read, or the container permission set in deno.json)",
    };
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return {
      reason: `it is a directory, not a file${via}`,
      hint: "a migration or seed is one file: rename the directory, or move its files out of it",
    };
  }
  return { reason: (err as Error)?.message ?? String(err), hint: "check the file" };
}

/** The target of a symbolic link, or null when path is none. */
export function linkTarget(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/** unreadableReason() for a path, with the target of the symbolic link it may be. */
export function unreadable(path: string, err: unknown): { reason: string; hint: string } {
  const target = linkTarget(path);
  return unreadableReason(err, target === null ? null : { target });
}

/** The error for a path named like a migration or seed that is not a regular file. */
export function notAFile(path: string, database: string, what: string): ConfigError {
  let why: { reason: string; hint: string };
  try {
    const info = Deno.statSync(path);
    const target = linkTarget(path);
    const via = target === null ? "" : ` (a symbolic link to "${target}")`;
    why = info.isDirectory
      ? unreadableReason(new Deno.errors.IsADirectory(), target === null ? null : { target })
      : {
        reason: `it is not a regular file but ${
          info.isFifo ? "a FIFO" : info.isSocket ? "a socket" : "a device"
        }${via}`,
        hint: "replace it with a regular file",
      };
  } catch (err) {
    why = unreadable(path, err);
  }
  return new ConfigError(
    "UNREADABLE_FILE",
    `"${path}" of database "${database}" is named like a ${what} but cannot be read: ${why.reason}`,
    { database, position: { file: path }, hint: why.hint },
  );
}

/** Throws when a folder that reads as missing is a symbolic link to nowhere (an unmounted volume). */
export function checkNotDangling(path: string, database: string): void {
  const target = linkTarget(path);
  if (target === null) return;
  const why = unreadableReason(new Deno.errors.NotFound(), { target });
  throw new ConfigError("UNREADABLE_FILE", `cannot read "${path}": ${why.reason}`, {
    database,
    position: { file: path },
    hint: why.hint,
  });
}

/** Whether a directory entry is a regular file, following a symbolic link (no stat otherwise). */
export function isRegularFile(dir: string, e: Deno.DirEntry): boolean {
  if (e.isFile) return true;
  if (!e.isSymlink) return false;
  try {
    return Deno.statSync(`${dir}/${e.name}`).isFile;
  } catch {
    return false; // a dangling or looping link: notAFile() says which
  }
}

/** Limits on what is read; a larger SQL file is refused before it is read (exit 2). */
export interface ReadLimits {
  /** The largest SQL file, in MB (2^20 bytes); --max-file-size. */
  maxFileMb?: number;
}

const TOO_LARGE_HINT = "split the file, or raise the limit with --max-file-size=MB (env " +
  "DB_MIGRATE_MAX_FILE_SIZE) and give the job the memory for it (README: Memory)";

/** Whether UTF-8 bytes hold a character beyond U+00FF (any lead byte from 0xC4 up). */
function beyondLatin1(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0xc4) return true;
  return false;
}

/**
 * Reads a SQL file unless it is over the limit. Its text is held in memory while it runs, so a file
 * too large for the job's memory is refused before it is read (and before any database is
 * touched). The size comes from the open file, which costs no more than readFileSync() does.
 */
function readBounded(path: string, maxFileMb: number, database: string): Uint8Array {
  const file = Deno.openSync(path);
  try {
    const size = file.statSync().size;
    if (size > maxFileMb * MB) {
      throw new ConfigError(
        "FILE_TOO_LARGE",
        `"${path}" of database "${database}" is ${(size / MB).toFixed(1)} MB, over the limit of ` +
          `${maxFileMb} MB for one SQL file (--max-file-size)`,
        {
          database,
          position: { file: path },
          hint: TOO_LARGE_HINT,
        },
      );
    }
    // One buffer of the file's size: reading in slices and joining the decoded parts was tried,
    // and left the parts for V8 to collect late, costing more than it saved.
    const bytes = new Uint8Array(size);
    let read = 0;
    for (let n; read < size && (n = file.readSync(bytes.subarray(read)));) read += n;
    // JavaScript keeps text with any character beyond Latin-1 in two bytes a character, and
    // decoding such a file costs another copy: it counts twice against the limit.
    if (size * 2 > maxFileMb * MB && beyondLatin1(bytes)) {
      throw new ConfigError(
        "FILE_TOO_LARGE",
        `"${path}" of database "${database}" is ${(size / MB).toFixed(1)} MB of text with ` +
          `characters beyond Latin-1, which takes twice its size in memory: over the limit of ` +
          `${maxFileMb} MB for one SQL file (--max-file-size)`,
        { database, position: { file: path }, hint: TOO_LARGE_HINT },
      );
    }
    return read < size ? bytes.subarray(0, read) : bytes;
  } finally {
    file.close();
  }
}

/** Reads, normalises and checksums one file; synchronous because a no-op run reads them all. */
export function readTracked(
  path: string,
  database: string,
  maxFileMb = Infinity,
): { text: string; sum: string } {
  let bytes: Uint8Array;
  try {
    bytes = maxFileMb === Infinity
      ? Deno.readFileSync(path)
      : readBounded(path, maxFileMb, database);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = unreadable(path, err);
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read "${path}" of database "${database}": ${why.reason}`,
      { database, position: { file: path }, hint: why.hint },
    );
  }
  return withPosition(path, database, () => {
    const { text, checksum } = fileContent(bytes);
    return { text, sum: checksum };
  });
}

/** A file's bytes as normalised text (see decodeFile()); invalid UTF-8 is INVALID_UTF8, exit 2. */
export function decodeText(bytes: Uint8Array, path: string, database: string): string {
  return withPosition(path, database, () => decodeFile(bytes));
}

function withPosition<T>(path: string, database: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof Utf8Error)) throw err;
    throw new ConfigError(
      "INVALID_UTF8",
      `"${path}" of database "${database}" is not UTF-8: ${err.message}`,
      {
        database,
        position: { file: path, line: err.line, column: err.column },
        hint:
          "save the file as UTF-8; write binary data as escapes ('\\xff'::bytea), not raw bytes",
      },
    );
  }
}

/** Checksums a CSV seed in chunks, keeping none of its text: it may be larger than the job's memory. */
export function readCsvTracked(path: string, database: string): { text: string; sum: string } {
  try {
    return withPosition(path, database, () => ({ text: "", sum: checksumFileSync(path) }));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = unreadable(path, err);
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read "${path}" of database "${database}": ${why.reason}`,
      { database, position: { file: path }, hint: why.hint },
    );
  }
}
