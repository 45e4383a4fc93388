// Development only: lets a worker thread run the TypeScript sources (tests, tsx) by registering tsx's loader
// in the thread before importing the real entry. Built packages start the compiled .js entry directly.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.__entry);
