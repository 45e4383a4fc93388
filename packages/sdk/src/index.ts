export { Mixpeek, Mixpeek as default, DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_RETRIES } from "./client.js";
export type { ClientOptions, RequestOptions } from "./client.js";
export {
  MixpeekError,
  APIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  TaskTimeoutError,
} from "./core/errors.js";
export type { ErrorEnvelope } from "./core/errors.js";
export { Page, PagePromise } from "./core/pagination.js";
export type { PageParams, PaginationInfo, ListResponse } from "./core/pagination.js";
export { VERSION } from "./version.js";
export * from "./resources/index.js";
