// Every error code the program can print is listed in the README's table, with the exit code it
// ends the run with: scripts branch on `error.code`, so a code missing from the table (or listed
// with another exit) is a promise the README does not keep.

import assert from "node:assert/strict";
import { EXIT } from "../../../src/core/errors.ts";

const root = new URL("../../../", import.meta.url);

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, root));
}

/** The members of the ErrorCode union in src/core/errors.ts. */
function declaredCodes(): string[] {
  const body = /export type ErrorCode =([^;]+);/.exec(read("src/core/errors.ts"))![1]!;
  return [...body.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]!);
}

/** The README's code table: code → the exit codes its `exit` column names. */
function readmeCodes(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of read("README.md").matchAll(/^\| `([A-Z_]+)`\s*\| ([0-9/ ]+?)\s*\|/gm)) {
    out.set(m[1]!, m[2]!.split("/").map(Number));
  }
  return out;
}

/** Every .ts file under src/, with its text. */
function sources(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(new URL(dir, root))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.name.endsWith(".ts")) out.push([path, read(path)]);
    }
  };
  walk("src");
  return out;
}

Deno.test("README lists every error code the program declares, and no other", () => {
  const declared = declaredCodes();
  const listed = readmeCodes();
  assert.ok(declared.length >= 30, "the ErrorCode union was read");
  assert.deepEqual(
    declared.filter((c) => !listed.has(c)),
    [],
    "codes missing from the README's table",
  );
  assert.deepEqual(
    [...listed.keys()].filter((c) => !declared.includes(c)),
    [],
    "README codes the program never uses",
  );
});

Deno.test("every error constructed in src/ ends with an exit code its README row names", () => {
  const listed = readmeCodes();
  const exits: Record<string, number> = EXIT;
  const wrong: string[] = [];
  let seen = 0;
  for (const [path, text] of sources()) {
    // new ConfigError("CODE" (exit 2), new MigrateError("CODE", EXIT.name, ...
    const made = /new (ConfigError|MigrateError)\(\s*"([A-Z_]+)",\s*(?:EXIT\.([a-z]+))?/g;
    for (const m of text.matchAll(made)) {
      const [, cls, code, exitName] = m as unknown as [string, string, string, string?];
      const exit = cls === "ConfigError" ? EXIT.config : exits[exitName ?? ""];
      if (exit === undefined) continue; // an exit code computed at run time
      seen++;
      if (!(listed.get(code) ?? []).includes(exit)) {
        wrong.push(`${path}: ${code} exits ${exit}, README says ${listed.get(code) ?? "nothing"}`);
      }
    }
  }
  assert.ok(seen >= 40, `the constructions were found (${seen})`);
  assert.deepEqual(wrong, []);
});
