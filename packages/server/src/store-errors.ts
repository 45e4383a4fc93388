/** The store signals unique-key violations with `StoreConflictError`; matched by name so any adapter's subclass works. */
export function isConflict(err: unknown): boolean {
  return err instanceof Error && (err.name === "StoreConflictError" || (err as { code?: unknown }).code === "conflict");
}
