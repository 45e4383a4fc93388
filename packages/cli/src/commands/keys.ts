import type { Command } from "commander";
import { createStore } from "@scenecap/store";
import { createApiKey, loadConfig } from "@scenecap/server";

export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("manage API keys (stored hashed in the store)");
  keys
    .command("create")
    .description("create an API key and print it once")
    .option("--name <name>", "a label for the key", "default")
    .option("--store <url>", "store URL (default $STORE_URL, $DATABASE_URL or the dev SQLite file)")
    .action(async (opts: { name: string; store?: string }) => {
      const store = await createStore(opts.store ?? loadConfig().storeUrl);
      try {
        const created = await createApiKey(store, opts.name);
        console.log(created.secret);
      } finally {
        await store.close();
      }
    });
}
