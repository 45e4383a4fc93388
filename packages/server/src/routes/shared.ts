import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import {
  ListQueryParams, ListRequest, buildPagination, resolvePageWindow, type LogicalOperator, type PaginationResponse,
} from "@scenecap/protocol";
import type { ListQuery } from "@scenecap/store";
import type { AppContext } from "../context.js";
import { defineRoute, type Authenticator, type RouteCtx, type RouteDef, type RouteRegistry } from "../http.js";

/** What every route module gets. */
export interface RouteEnv {
  app: FastifyInstance;
  ctx: AppContext;
  registry: RouteRegistry;
  auth: Authenticator;
}

export function route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  env: RouteEnv,
  def: RouteDef<B, Q>,
  handler: (c: RouteCtx<B extends z.ZodType ? z.output<B> : undefined, Q extends z.ZodType ? z.output<Q> : undefined>) => Promise<unknown>,
): void {
  defineRoute(env.app, env.registry, env.auth, def, handler as never);
}

/** Store list query + page window from a list call (query string wins over body). */
export function listQuery(
  query: z.output<typeof ListQueryParams>,
  body: z.output<typeof ListRequest>,
  extraFilter?: LogicalOperator,
): { store: ListQuery; window: { limit: number; offset: number } } {
  const window = resolvePageWindow(query, body);
  let filters = body.filters;
  if (body.case_sensitive !== undefined && filters && filters.case_sensitive === undefined) filters = { ...filters, case_sensitive: body.case_sensitive };
  const combined = extraFilter && filters ? { AND: [extraFilter, filters] } : (extraFilter ?? filters);
  return {
    window,
    store: {
      ...(combined ? { filters: combined } : {}),
      ...(body.sort ? { sort: { field: body.sort.field, direction: body.sort.direction } } : {}),
      ...(body.search ? { search: body.search } : {}),
      limit: window.limit,
      offset: window.offset,
    },
  };
}

export function listBody<T>(results: T[], window: { limit: number; offset: number }, total: number): {
  results: T[]; pagination: PaginationResponse; total_count: number;
} {
  return { results, pagination: buildPagination(window, total), total_count: total };
}

export const deleted = (what: string) => ({ success: true, message: `Successfully deleted ${what}` });
