import { z } from "zod";

/** Free-form JSON object. */
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObject>;

/** Human resource name (namespace, bucket, collection, retriever). */
export const ResourceName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine((s) => !/[\u0000-\u001f/]/.test(s), "must not contain control characters or '/'");

export const Timestamp = z.string();

/** Health check body. */
export const HealthResponse = z.object({
  status: z.literal("ok"),
  version: z.string(),
  store: z.string(),
  queue: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
