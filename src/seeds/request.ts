// What the loader of a YAML or CSV seed gets from its driver: the file, its parsed content, and the
// stop request.

import type { TrackedFile } from "../core/types.ts";
import type { DataSeed } from "./types.ts";
import type { Trial } from "../drivers/driver.ts";

/** A YAML or CSV seed to load: the file and its content, parsed and checked by src/seeds/. */
export interface SeedRequest {
  file: TrackedFile;
  seed: DataSeed;
  /** Aborted when the run is asked to stop (SIGTERM, SIGINT): start nothing new. */
  signal: AbortSignal;
  /** `verify`'s way of running it, without a tracking row (driver.ts). */
  trial?: Trial;
}
