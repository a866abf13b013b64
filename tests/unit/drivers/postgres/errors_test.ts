import assert from "node:assert/strict";
import {
  isConnectionLoss,
  isServerError,
  serverMessage,
} from "../../../../src/drivers/postgres/errors.ts";

/** A server error as postgres.js makes it: a PostgresError with severity and SQLSTATE. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: "PostgresError", severity: "ERROR", code });
}

/** A socket or client error as postgres.js passes it on: a code that is no SQLSTATE. */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: code });
}

Deno.test("serverMessage() names the SQLSTATE of a server error only", () => {
  assert.equal(
    serverMessage(serverError("42703", 'column "x" does not exist')),
    'column "x" does not exist (SQLSTATE 42703)',
  );
  // EPIPE has five capital letters, like a SQLSTATE, but comes from the socket.
  assert.equal(serverMessage(socketError("EPIPE", "write EPIPE")), "write EPIPE");
  assert.equal(
    serverMessage(socketError("CONNECTION_CLOSED", "write CONNECTION_CLOSED 127.0.0.1:5432")),
    "write CONNECTION_CLOSED 127.0.0.1:5432",
  );
});

Deno.test("isServerError() tells PostgresError from socket errors", () => {
  assert.equal(isServerError(serverError("23505", "duplicate key")), true);
  assert.equal(isServerError(socketError("EPIPE", "write EPIPE")), false);
  assert.equal(isServerError(null), false);
});

Deno.test("isConnectionLoss() is true for a broken socket or a session the server ended", () => {
  for (
    const code of [
      "EPIPE",
      "ECONNRESET",
      "ECONNREFUSED",
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
    ]
  ) {
    assert.equal(isConnectionLoss(socketError(code, `write ${code}`)), true, code);
  }
  for (const code of ["57P01", "57P02", "57P03", "08006", "08003"]) {
    assert.equal(isConnectionLoss(serverError(code, "terminating connection")), true, code);
  }
  for (const code of ["42703", "23505", "57014", "40P01"]) {
    assert.equal(isConnectionLoss(serverError(code, "failed")), false, code);
  }
  assert.equal(isConnectionLoss(new Error("no code")), false);
  assert.equal(isConnectionLoss(socketError("UNDEFINED_VALUE", "client-side mistake")), false);
});
