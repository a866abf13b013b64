// The floor of reading the files at all: list DIR and read every V*.sql file, nothing else (no
// hash, no database). Whatever a NOOP grows with N beyond this row is the tool's own per-file work.
// Usage: deno run --allow-read read-floor.ts DIR
const dir = Deno.args[0];
let bytes = 0;
for (const e of Deno.readDirSync(dir)) {
  if (e.isFile && /^V\d+__.+\.sql$/.test(e.name)) {
    bytes += Deno.readFileSync(`${dir}/${e.name}`).length;
  }
}
console.log(bytes);
