import { sqliteBackend } from "./helpers.js";
import { publicRetrieverSuite } from "./suites/public-retrievers.suite.js";

publicRetrieverSuite(sqliteBackend);
