// A module worker for bcrypt.ts: compares or hashes one value per message, synchronously (a worker
// has nothing else to do, and bcryptjs's async mode only slices the same work into timer callbacks).
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import bcrypt from "bcryptjs";
import { type BcryptRequest, type BcryptResponse, runJob } from "./bcrypt.ts";

self.onmessage = (e: MessageEvent<BcryptRequest>) => {
  const { id, cost } = e.data;
  let reply: BcryptResponse;
  try {
    reply = { id, hash: runJob(bcrypt, e.data, cost) };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.message : String(err) };
  }
  self.postMessage(reply);
};
