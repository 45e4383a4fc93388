/** Base class of every error the SDK throws. */
export class MixpeekError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The Mixpeek error envelope: `{ success: false, status, error: { message, type, details? } }`. */
export interface ErrorEnvelope {
  success?: boolean;
  status?: number;
  error?: { message?: string; type?: string; details?: unknown; [key: string]: unknown };
  /** FastAPI-style validation body: a string or `[{ loc, msg, type }]`. */
  detail?: unknown;
  [key: string]: unknown;
}

/** A response with a non-2xx status, or a failure to get one (the connection subclasses). */
export class APIError extends MixpeekError {
  /** HTTP status; `undefined` for connection errors. */
  readonly status: number | undefined;
  /** Response headers, lower-cased. */
  readonly headers: Record<string, string> | undefined;
  /** The parsed error body (envelope, FastAPI `detail` body, or raw text). */
  readonly error: unknown;
  /** `error.type` of the Mixpeek envelope (e.g. `NotFoundError`), when present. */
  readonly type: string | undefined;
  /** Value of the `x-request-id` (or `request-id`) response header. */
  readonly requestId: string | undefined;

  constructor(
    status: number | undefined,
    error: unknown,
    message: string | undefined,
    headers: Record<string, string> | undefined,
  ) {
    super(APIError.makeMessage(status, error, message));
    this.status = status;
    this.headers = headers;
    this.error = error;
    this.requestId = headers?.["x-request-id"] ?? headers?.["request-id"];
    const envelope = asEnvelope(error);
    this.type = typeof envelope?.error?.type === "string" ? envelope.error.type : undefined;
  }

  private static makeMessage(status: number | undefined, error: unknown, message: string | undefined): string {
    const detail = extractMessage(error) ?? message;
    if (status && detail) return `${status} ${detail}`;
    if (status) return `${status} status code (no body)`;
    return detail ?? "(no status code or body)";
  }

  /** The one status → class factory. */
  static generate(
    status: number | undefined,
    error: unknown,
    message: string | undefined,
    headers: Record<string, string> | undefined,
  ): APIError {
    if (!status) return new APIConnectionError({ message: message ?? extractMessage(error) });
    const Class = errorClassFor(status);
    return new Class(status, error, message, headers);
  }
}

export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class PermissionDeniedError extends APIError {}
export class NotFoundError extends APIError {}
export class ConflictError extends APIError {}
export class UnprocessableEntityError extends APIError {}
export class RateLimitError extends APIError {}
export class InternalServerError extends APIError {}

type APIErrorClass = new (
  status: number | undefined,
  error: unknown,
  message: string | undefined,
  headers: Record<string, string> | undefined,
) => APIError;

const STATUS_CLASSES: Record<number, APIErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

function errorClassFor(status: number): APIErrorClass {
  if (status >= 500) return InternalServerError;
  return STATUS_CLASSES[status] ?? APIError;
}

/** No response arrived: DNS, refused or reset connection, TLS failure… */
export class APIConnectionError extends APIError {
  constructor({ message, cause }: { message?: string | undefined; cause?: unknown } = {}) {
    super(undefined, undefined, message ?? "Connection error.", undefined);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** The request did not complete within its `timeout`. */
export class APIConnectionTimeoutError extends APIConnectionError {
  constructor({ message }: { message?: string } = {}) {
    super({ message: message ?? "Request timed out." });
  }
}

/** The caller's `AbortSignal` aborted the request (or a retry wait). */
export class APIUserAbortError extends APIError {
  constructor({ message }: { message?: string } = {}) {
    super(undefined, undefined, message ?? "Request was aborted.", undefined);
  }
}

function asEnvelope(body: unknown): ErrorEnvelope | undefined {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as ErrorEnvelope) : undefined;
}

/** Human message of an error body: the envelope's `error.message`, FastAPI `detail`, or a text body. */
export function extractMessage(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() ? body.trim().slice(0, 1000) : undefined;
  const envelope = asEnvelope(body);
  if (!envelope) return undefined;
  const err = envelope.error;
  if (typeof err === "string" && err) return err;
  if (err && typeof err === "object" && typeof err.message === "string" && err.message) return err.message;
  const detail = envelope.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((d) => {
        if (!d || typeof d !== "object") return String(d);
        const item = d as { loc?: unknown; msg?: unknown; message?: unknown };
        const loc = Array.isArray(item.loc) ? item.loc.join(".") : undefined;
        const msg = typeof item.msg === "string" ? item.msg : typeof item.message === "string" ? item.message : JSON.stringify(d);
        return loc ? `${loc}: ${msg}` : msg;
      })
      .join("; ");
  }
  if (typeof envelope.message === "string" && envelope.message) return envelope.message;
  return undefined;
}

/** `tasks.wait` gave up before the task reached a terminal status. */
export class TaskTimeoutError extends MixpeekError {
  constructor(
    readonly taskId: string,
    readonly lastTask: unknown,
    timeoutMs: number,
  ) {
    const status = (lastTask as { status?: unknown } | undefined)?.status;
    super(`Task ${taskId} did not finish within ${timeoutMs} ms (last status: ${String(status ?? "unknown")})`);
  }
}
