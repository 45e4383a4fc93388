#!/usr/bin/env node
// Launcher kept in git so npm links the bin at install time, before the TypeScript is built.
import("../dist/main.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND") {
    console.error("scenecap: not built yet — run `npm run build` first");
    process.exit(1);
  }
  throw err;
});
