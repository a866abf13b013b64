// gen-large.ts SHAPE MB DIR: writes DIR/postgres/V1__large.sql, a migration of about MB megabytes.
//   rows:   one INSERT per row (a data migration, as pg_dump --inserts writes it)
//   wide:   the same with characters outside Latin-1, which JavaScript holds in two bytes each
//   mixed:  rows, and one INSERT of 8 MB (many rows in one VALUES list) at the end
//   single: one INSERT of all the rows in one VALUES list
const [shape = "rows", mb = "60", dir = "/tmp/large"] = Deno.args;
const target = Number(mb) * 1024 * 1024;
const create = "CREATE TABLE IF NOT EXISTS large (id int PRIMARY KEY, payload text);\n";
const pad = shape === "wide" ? "ü€ ".repeat(26) : "x".repeat(80);
const parts: string[] = [create];
const bytes = (text: string) => encoder.encode(text).length;
const encoder = new TextEncoder();
let size = bytes(create);
let id = 0;
const row = () => `(${id++}, '${pad}')`;
const single = shape === "single" ? target : shape === "mixed" ? 8 * 1024 * 1024 : 0;
while (size < target - single) {
  const line = `INSERT INTO large (id, payload) VALUES ${row()};\n`;
  parts.push(line);
  size += bytes(line);
}
if (single > 0) {
  parts.push("INSERT INTO large (id, payload) VALUES\n");
  for (let n = 0; n < single;) {
    const line = `${row()},\n`;
    parts.push(line);
    n += bytes(line);
  }
  parts.push(`${row()};\n`);
}
await Deno.mkdir(`${dir}/postgres`, { recursive: true });
await Deno.writeTextFile(`${dir}/postgres/V1__large.sql`, parts.join(""));
