import { z } from "zod";
import {
  GenericDeleteResponse, ListQueryParams, ListRequest, TaskListFields, TaskResponse, isTerminalStatus, listResponse,
  type LogicalOperator,
} from "@scenecap/protocol";
import { ApiError } from "../errors.js";
import { taskView } from "../views.js";
import { deleted, listBody, listQuery, route, type RouteEnv } from "./shared.js";

const ListTasksRequest = ListRequest.extend(TaskListFields);

export function taskRoutes(env: RouteEnv): void {
  const { ctx } = env;

  route(env, {
    method: "GET", url: "/v1/tasks/:task_id", operationId: "getTask", summary: "Get a task (status, progress in additional_data)",
    tag: "Tasks", response: TaskResponse,
  }, async ({ params, ns }) => taskView(await ctx.mustGet("task", ns, params.task_id!, "Task")));

  route(env, {
    method: "POST", url: "/v1/tasks/list", operationId: "listTasks", summary: "List tasks", tag: "Tasks",
    body: ListTasksRequest, query: ListQueryParams, response: listResponse(TaskResponse),
  }, async ({ body, query, ns }) => {
    const conds: LogicalOperator[] = [];
    if (body.status) {
      const statuses = Array.isArray(body.status) ? body.status : [body.status];
      conds.push({ AND: [{ field: "status", operator: "in", value: statuses }], case_sensitive: true });
    }
    if (body.task_type) conds.push({ AND: [{ field: "task_type", operator: "eq", value: body.task_type }] });
    const extra = conds.length === 0 ? undefined : conds.length === 1 ? conds[0] : { AND: conds };
    const { store, window } = listQuery(query, body, extra);
    const page = await ctx.store.resources.list("task", ns, { sort: { field: "created_at", direction: "desc" }, ...store });
    return listBody(page.items.map(taskView), window, page.total);
  });

  route(env, {
    method: "DELETE", url: "/v1/tasks/:task_id", operationId: "deleteTask", summary: "Cancel a task (idempotent)", tag: "Tasks",
    response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const rec = await ctx.store.resources.update("task", ns, z.string().parse(params.task_id), (cur) => {
      const status = String(cur.data.status ?? "");
      if (isTerminalStatus(status)) return { data: cur.data };
      return { data: { ...cur.data, status: "CANCELED", error: (cur.data.error as string | null) ?? "canceled by request" } };
    });
    if (!rec) throw ApiError.notFound("Task", params.task_id!);
    return deleted(`task ${rec.id}`);
  });
}
