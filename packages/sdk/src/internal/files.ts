import { MixpeekError } from "../core/errors.js";

/** Size of a regular file, or a MixpeekError that names it (missing, unreadable, a directory). */
export async function fileSize(filePath: string): Promise<number> {
  const { stat } = await import("node:fs/promises");
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(filePath);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new MixpeekError(`cannot read ${filePath}${code ? ` (${code})` : ""}`, { cause: err });
  }
  if (!s.isFile()) throw new MixpeekError(`cannot read ${filePath}: not a regular file`);
  return s.size;
}
