import { z } from "zod";

/** Mixpeek `TaskStatusEnum` (also used for object, batch and bucket lifecycle states). */
export const TaskStatus = z.enum([
  "PENDING", "IN_PROGRESS", "PROCESSING", "COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED",
  "CANCELED", "UNKNOWN", "SKIPPED", "DRAFT", "ACTIVE", "ARCHIVED", "SUSPENDED",
]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELED"];

export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(status.toUpperCase());
}
