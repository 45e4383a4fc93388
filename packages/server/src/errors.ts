import type { z } from "zod";
import { ErrorCodes, errorEnvelope, validationIssues, type ErrorCode, type ErrorEnvelope } from "@scenecap/protocol";

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
