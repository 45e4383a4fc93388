import { z } from "zod";
import { FilterInput } from "./filters.js";

const intFromQuery = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), z.number().int().min(min).max(max));
const boolFromQuery = z.preprocess((v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v), z.boolean());

/** Query string of every `POST .../list`: `?limit&offset&cursor&include_total`. */
export const ListQueryParams = z.object({
  /** @defaultValue 10 */
  limit: intFromQuery(1, 1000).optional(),
  /** @defaultValue 0 */
  offset: intFromQuery(0, Number.MAX_SAFE_INTEGER).optional(),
  /** Opaque cursor from `pagination.next_cursor` (an encoded offset). */
  cursor: z.string().optional(),
  /** @defaultValue false */
  include_total: boolFromQuery.optional(),
});
export type ListQueryParams = z.infer<typeof ListQueryParams>;

export const SortInput = z.object({
  field: z.string().min(1),
  /** @defaultValue "desc" */
  direction: z.enum(["asc", "desc"]).default("desc"),
});
export type SortInput = z.infer<typeof SortInput>;

/**
 * Body of every `POST .../list`. Lenient: `page_size`/`limit`/`offset`/`cursor` may also come in the body
 * (the hand-written Python client sends them there); the query string wins.
 */
export const ListRequest = z.object({
  filters: FilterInput.optional(),
  sort: SortInput.nullish(),
  search: z.string().nullish(),
  /** @defaultValue false */
  case_sensitive: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  page_size: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
  cursor: z.string().nullish(),
});
export type ListRequest = z.infer<typeof ListRequest>;

/** Mixpeek `PaginationResponse`. */
export const PaginationResponse = z.object({
  total: z.number().int().nullable().optional(),
  page: z.number().int().nullable().optional(),
  page_size: z.number().int().nullable().optional(),
  total_pages: z.number().int().nullable().optional(),
  next_page: z.string().nullable().optional(),
  previous_page: z.string().nullable().optional(),
  next_cursor: z.string().nullable().optional(),
});
export type PaginationResponse = z.infer<typeof PaginationResponse>;

export function listResponse<T extends z.ZodType>(item: T) {
  return z.object({
    results: z.array(item),
    pagination: PaginationResponse,
    total_count: z.number().int(),
    stats: z.record(z.string(), z.unknown()).optional(),
  });
}

/** Resolved paging window for a list call (query string first, then body, then defaults). */
export interface PageWindow {
  limit: number;
  offset: number;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

export function decodeCursor(cursor: string): number | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o?: unknown };
    return typeof v.o === "number" && Number.isInteger(v.o) && v.o >= 0 ? v.o : null;
  } catch {
    return null;
  }
}

export function resolvePageWindow(query: ListQueryParams, body: ListRequest | undefined, defaultLimit = 10): PageWindow {
  const limit = query.limit ?? body?.limit ?? body?.page_size ?? defaultLimit;
  const cursor = query.cursor ?? body?.cursor ?? undefined;
  const fromCursor = cursor ? decodeCursor(cursor) : null;
  const offset = query.offset ?? fromCursor ?? body?.offset ?? 0;
  return { limit, offset };
}

/** Builds the `PaginationResponse` for a window of a result set of `total` items. */
export function buildPagination(window: PageWindow, total: number): PaginationResponse {
  const { limit, offset } = window;
  const page = Math.floor(offset / limit) + 1;
  const totalPages = Math.max(1, Math.ceil(total / limit));
  const hasNext = offset + limit < total;
  return {
    total,
    page,
    page_size: limit,
    total_pages: totalPages,
    next_page: hasNext ? String(page + 1) : null,
    previous_page: page > 1 ? String(page - 1) : null,
    next_cursor: hasNext ? encodeCursor(offset + limit) : null,
  };
}
