import { sqliteBackend } from "./helpers.js";
import { retrieverSuite } from "./suites/retrievers.suite.js";

retrieverSuite(sqliteBackend);
