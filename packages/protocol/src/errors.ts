import { z } from "zod";

/**
 * Error codes the server raises, mapped once to an HTTP status and the Mixpeek error `type`.
 * Everything that answers 4xx/5xx uses the envelope below.
 */
export const ErrorCodes = {
  bad_request: { status: 400, type: "BadRequestError" },
  unauthorized: { status: 401, type: "UnauthorizedError" },
  forbidden: { status: 403, type: "ForbiddenError" },
  not_found: { status: 404, type: "NotFoundError" },
  method_not_allowed: { status: 405, type: "MethodNotAllowedError" },
  conflict: { status: 409, type: "AlreadyExistsError" },
  payload_too_large: { status: 413, type: "PayloadTooLargeError" },
  unsupported_media_type: { status: 415, type: "UnsupportedMediaTypeError" },
  validation: { status: 422, type: "ValidationError" },
  rate_limited: { status: 429, type: "TooManyRequestsError" },
  internal: { status: 500, type: "InternalServerError" },
  unavailable: { status: 503, type: "ServiceUnavailableError" },
} as const satisfies Record<string, { status: number; type: string }>;
export type ErrorCode = keyof typeof ErrorCodes;

/** The error code for an arbitrary HTTP status (used for errors raised by the HTTP layer itself). */
export function errorCodeForStatus(status: number): ErrorCode {
  for (const [code, v] of Object.entries(ErrorCodes)) if (v.status === status) return code as ErrorCode;
  return status >= 500 ? "internal" : "bad_request";
}

/** One validation problem: where (`loc`, a field path) and what. */
export const ValidationIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  path: z.string(),
  message: z.string(),
  type: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** Mixpeek `ErrorResponse`: `{success:false, status, error:{message, type, details?}}`. */
export const ErrorEnvelope = z.object({
  success: z.literal(false),
  status: z.number().int(),
  error: z.object({
    message: z.string(),
    type: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export function errorEnvelope(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorEnvelope {
  const { status, type } = ErrorCodes[code];
  return { success: false, status, error: { message, type, ...(details ? { details } : {}) } };
}

/** Zod issues → `details.validation_errors` entries with dotted field paths (`feature_extractor.version`). */
export function validationIssues(error: z.ZodError, prefix: Array<string | number> = []): ValidationIssue[] {
  return error.issues.map((i) => {
    const loc = [...prefix, ...i.path.map((p) => (typeof p === "number" ? p : String(p)))];
    return { loc, path: loc.join("."), message: i.message, type: i.code };
  });
}

/** `DELETE` answer (`GenericDeleteResponse`). */
export const GenericDeleteResponse = z.object({ success: z.boolean(), message: z.string() });
export type GenericDeleteResponse = z.infer<typeof GenericDeleteResponse>;
