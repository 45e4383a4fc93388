import { UnrecoverableError } from "bullmq";

/**
 * Why a job can never succeed. A `PermanentJobError` is a BullMQ `UnrecoverableError`, so BullMQ does not
 * retry it, and the local runner treats it the same way; the task entry gets FAILED with `message`.
 */
export type PermanentErrorCode =
  | "bad_payload"
  | "bad_params"
  | "not_found"
  | "bad_url"
  | "blocked_url"
  | "http_error"
  | "not_media"
  | "too_large"
  | "bad_media"
  | "missing_model"
  | "unsupported";

export class PermanentJobError extends UnrecoverableError {
  override readonly name = "PermanentJobError";
  constructor(readonly code: PermanentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A failure worth retrying later (network timeout, HTTP 5xx, a service briefly away). */
export class TransientJobError extends Error {
  override readonly name = "TransientJobError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof UnrecoverableError || (err instanceof Error && err.name === "UnrecoverableError");
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
