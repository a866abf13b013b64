// The Kubernetes termination message: the run's short JSON summary, written where the kubelet reads
// it, so `kubectl get pod -o jsonpath='{..terminated.message}'` tells how the run ended. Writing it
// never fails the run: outside Kubernetes there is simply no such file.

/** Where Kubernetes reads the message unless the container names another terminationMessagePath. */
export const DEFAULT_TERMINATION_LOG = "/dev/termination-log";

/** Kubernetes keeps at most this many bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

const encoder = new TextEncoder();

/** Shortens a JSON message's `error` field until the whole message fits the limit. */
export function fitTerminationMessage(message: string, limit = TERMINATION_MESSAGE_LIMIT): string {
  if (encoder.encode(message).length <= limit) return message;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(message);
  } catch {
    return cutBytes(message, limit);
  }
  let error = typeof doc.error === "string" ? doc.error : "";
  while (error.length > 0) {
    error = error.slice(0, Math.floor(error.length * 0.75));
    const out = JSON.stringify({ ...doc, error: `${error}…` });
    if (encoder.encode(out).length <= limit) return out;
  }
  return cutBytes(JSON.stringify({ ...doc, error: null }), limit);
}

function cutBytes(text: string, limit: number): string {
  let out = text;
  while (encoder.encode(out).length > limit) out = out.slice(0, -1);
  return out;
}

/**
 * Writes the message to `path` (DB_MIGRATE_TERMINATION_LOG) when one is given, else to
 * /dev/termination-log when that file exists. Returns a warning for a given path that cannot be
 * written, null otherwise; never throws.
 */
export function writeTerminationMessage(
  message: string,
  opts: { path?: string | undefined; defaultPath?: string } = {},
): string | null {
  const explicit = opts.path !== undefined && opts.path !== "";
  const path = explicit ? opts.path! : opts.defaultPath ?? DEFAULT_TERMINATION_LOG;
  try {
    // create: false for the default path: a file Kubernetes did not mount is not ours to make.
    Deno.writeTextFileSync(path, fitTerminationMessage(message), { create: explicit });
    return null;
  } catch (err) {
    if (!explicit) return null;
    return `cannot write the termination message to "${path}" (DB_MIGRATE_TERMINATION_LOG): ${
      (err as Error).message
    }`;
  }
}
