// The two ways a point in time is written: ISO 8601 in everything a program reads (JSON documents and
// log events), and one short, unambiguous form in every line a person reads.

/** `2026-11-29T19:21:00.123Z`: for JSON documents and log events. */
export function isoTime(d: Date): string {
  return d.toISOString();
}

/** `2026-11-29 19:21:00 UTC`: for progress lines, status tables and messages. */
export function humanTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return "an unknown time";
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
