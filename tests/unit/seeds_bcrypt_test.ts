import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import {
  bcryptAll,
  bcryptCost,
  BcryptPool,
  checkBcryptText,
  isBcryptHash,
  MAX_WORKERS,
  poolSize,
} from "../../src/seeds/bcrypt.ts";

Deno.test("bcryptCost() defaults to 10 and accepts whole numbers from 4 to 31", () => {
  assert.equal(bcryptCost(undefined), 10);
  assert.equal(bcryptCost(" 12 "), 12);
  assert.match(String(bcryptCost("3")), /expected a whole number from 4 to 31/);
  assert.match(String(bcryptCost("ten")), /BCRYPT_COST is "ten"/);
});

Deno.test("checkBcryptText() rejects a text over 72 bytes (counted in UTF-8)", () => {
  assert.equal(checkBcryptText("x".repeat(72)), null);
  assert.match(checkBcryptText("ü".repeat(37))!, /74 bytes long/);
});

Deno.test("poolSize() uses one worker per core, never more than the jobs", () => {
  assert.equal(poolSize(10, 4), 4);
  assert.equal(poolSize(2, 8), 2);
  assert.equal(poolSize(0, 8), 1);
});

Deno.test("bcryptAll() hashes in workers, keeps a stored hash that matches and replaces one that does not", async () => {
  const kept = bcrypt.hashSync("same", 4);
  const stale = bcrypt.hashSync("old", 4);
  const out = await bcryptAll(
    [
      { text: "new", existing: null },
      { text: "same", existing: kept },
      { text: "changed", existing: stale },
      { text: "junk", existing: "not a hash" },
    ],
    4,
    { workers: 2 },
  );
  assert.equal(out.length, 4);
  assert.ok(out.every(isBcryptHash));
  assert.ok(bcrypt.compareSync("new", out[0]!));
  assert.equal(out[1], kept);
  assert.notEqual(out[2], stale);
  assert.ok(bcrypt.compareSync("changed", out[2]!));
  assert.ok(bcrypt.compareSync("junk", out[3]!));
  assert.ok(out[0]!.startsWith("$2b$04$"), "the cost is the one asked for");
});

Deno.test("bcryptAll() on one thread gives the same results", async () => {
  const [h] = await bcryptAll([{ text: "pw", existing: null }], 4, { workers: 1 });
  assert.ok(bcrypt.compareSync("pw", h!));
});

Deno.test("poolSize() starts no more than MAX_WORKERS, whatever the cores, so memory stays bounded", () => {
  assert.equal(poolSize(1000, 64), MAX_WORKERS);
  assert.ok(MAX_WORKERS * 14 < 100, "about 14 MB a worker");
});

Deno.test("BcryptPool keeps its workers between calls and hashes each call's jobs in order", async () => {
  const pool = new BcryptPool(2);
  try {
    const first = await pool.hash(
      [{ text: "a", existing: null }, { text: "b", existing: null }],
      4,
    );
    const second = await pool.hash(
      [{ text: "c", existing: null }, { text: "a", existing: first[0]! }, {
        text: "d",
        existing: null,
      }],
      4,
    );
    assert.ok(bcrypt.compareSync("a", first[0]!) && bcrypt.compareSync("b", first[1]!));
    assert.ok(bcrypt.compareSync("c", second[0]!) && bcrypt.compareSync("d", second[2]!));
    assert.equal(second[1], first[0], "a matching stored hash is kept");
  } finally {
    pool.close();
  }
  const stopped = new AbortController();
  stopped.abort(new Error("stop"));
  const again = new BcryptPool(2);
  await assert.rejects(
    again.hash([{ text: "x", existing: null }, { text: "y", existing: null }], 4, stopped.signal),
    /stop/,
  );
  again.close();
});
