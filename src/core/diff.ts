// A unified diff of the text a database recorded against the file now on disk, so a drift message
// shows what changed. jsdiff is loaded only when there is drift to show.

/** A unified diff between the applied text and the current file, or a note when it cannot be shown. */
export async function unifiedDiff(
  script: string,
  applied: string | null,
  current: string | null,
  maxLines = 60,
): Promise<string> {
  if (applied === null) return "(the applied text was not recorded, so no diff can be shown)";
  const { createTwoFilesPatch } = await import("diff");
  const patch = createTwoFilesPatch(
    `applied/${script}`,
    current === null ? "/dev/null" : `current/${script}`,
    applied,
    current ?? "",
    undefined,
    undefined,
    { context: 2 },
  );
  const lines = patch.split("\n").filter((l) => !/^=+$/.test(l)).filter((l, i, all) =>
    i < all.length - 1 || l !== ""
  );
  if (lines.length <= maxLines) return lines.join("\n");
  return [...lines.slice(0, maxLines), `... (${lines.length - maxLines} more lines)`].join("\n");
}
