import { z } from "zod";

/** Comparison operators of a Mixpeek `FilterCondition`. */
export const FilterOperator = z.enum([
  "eq", "ne", "gt", "lt", "gte", "lte", "in", "nin",
  "contains", "starts_with", "ends_with", "regex", "exists", "is_null", "text",
]);
export type FilterOperator = z.infer<typeof FilterOperator>;

/** One condition on a (dotted) field path, e.g. `{ field: "metadata.title", operator: "eq", value: "x" }`. */
export const FilterCondition = z.object({
  field: z.string().min(1),
  operator: FilterOperator.default("eq"),
  value: z.unknown().optional(),
});
export type FilterCondition = z.infer<typeof FilterCondition>;

/** Canonical (normalised) filter tree: every leaf is a `FilterCondition`. */
export interface LogicalOperator {
  AND?: Array<FilterCondition | LogicalOperator>;
  OR?: Array<FilterCondition | LogicalOperator>;
  NOT?: Array<FilterCondition | LogicalOperator>;
  case_sensitive?: boolean;
}

export const LogicalOperator: z.ZodType<LogicalOperator> = z.lazy(() =>
  z.object({
    AND: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    OR: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    NOT: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    case_sensitive: z.boolean().optional(),
  }),
);

export function isFilterCondition(node: FilterCondition | LogicalOperator): node is FilterCondition {
  return typeof (node as FilterCondition).field === "string";
}
