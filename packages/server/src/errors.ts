import type { FastifyError } from "fastify";
import type { z } from "zod";
import { ErrorCodes, errorCodeForStatus, errorEnvelope, validationIssues, type ErrorCode, type ErrorEnvelope } from "@scenecap/protocol";

/** Every error the API answers with: a code (mapped once to status + Mixpeek type), a message, optional details. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }

  toEnvelope(): ErrorEnvelope {
    return errorEnvelope(this.code, this.message, this.details);
  }

  static notFound(kind: string, id: string): ApiError {
    return new ApiError("not_found", `${kind} ${JSON.stringify(id)} not found`);
  }

  /** 422 with the failing field paths in `details.validation_errors`. */
  static validation(error: z.ZodError, where: "body" | "query" | "path" | "parameters", prefix: Array<string | number> = []): ApiError {
    const issues = validationIssues(error, prefix);
    const first = issues[0];
    const message = first
      ? `Invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`
      : `Invalid ${where}`;
    return new ApiError("validation", message, {
      validation_errors: issues.map((i) => ({ ...i, location: where, loc: [where, ...i.loc] })),
    });
  }
}

/** Maps any thrown error to an `ApiError` (the one place statuses are decided). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError & { name?: string };
  switch (e?.name) {
    case "StoreConflictError": return new ApiError("conflict", e.message);
    case "StoreInputError": return new ApiError("bad_request", e.message);
    // The store compiles filters late: bad paths, invalid regexes and wrong value types surface here.
    case "FilterSyntaxError": return new ApiError("bad_request", `Invalid filter: ${e.message}`);
    case "BlobNotFoundError": return new ApiError("not_found", e.message);
    case "InvalidBlobKeyError": return new ApiError("bad_request", e.message);
    case "QueueAdminUnsupportedError": return new ApiError("bad_request", e.message);
  }
  switch (e?.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE": return new ApiError("payload_too_large", "Request body is larger than the server's limit");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY": return new ApiError("bad_request", `Malformed JSON body: ${e.message}`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": return new ApiError("unsupported_media_type", "Unsupported Content-Type; send application/json");
  }
  if (e instanceof SyntaxError || (e?.statusCode === 400 && /JSON/i.test(e.message ?? ""))) {
    return new ApiError("bad_request", `Malformed JSON body: ${e.message}`);
  }
  if (typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError(errorCodeForStatus(e.statusCode), e.message);
  }
  return new ApiError("internal", "Internal server error");
}
