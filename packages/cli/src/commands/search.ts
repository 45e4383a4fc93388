import type { Command } from "commander";
import { formatSearchHit } from "../format.js";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";

export const SCENE_FEATURE_URI = "mixpeek://scene_description@v1/salesforce_blip2_v1";

export function registerSearchCommand(program: Command): void {
  withClientOptions(
    program
      .command("search")
      .description("full-text search over a collection's scene captions")
      .argument("<collection>", "collection id or name")
      .argument("<query>", "what the scene shows")
      .option("-n, --limit <n>", "results", (v) => Number.parseInt(v, 10), 10)
      .option("--json", "print the raw response"),
  ).action(async (collection: string, query: string, flags: ClientFlags & { limit: number; json?: boolean }) => {
    const mx = clientFrom(flags);
    const response = await mx.retrievers.executeAdhoc({
      collection_identifiers: [collection],
      input_schema: { query: { type: "text", required: true } },
      inputs: { query },
      stages: [
        {
          stage_name: "search",
          stage_type: "filter",
          config: {
            stage_id: "feature_search",
            parameters: {
              searches: [{ feature_uri: SCENE_FEATURE_URI, query: { input_mode: "text", value: "{{INPUT.query}}" }, top_k: flags.limit }],
              final_top_k: flags.limit,
            },
          },
        },
      ],
    });
    if (flags.json) {
      console.log(JSON.stringify(response, null, 2));
      return;
    }
    const docs = (response.documents ?? []) as Array<Record<string, unknown>>;
    if (docs.length === 0) console.log("no matching scenes");
    for (const doc of docs) console.log(formatSearchHit(doc));
  });
}
