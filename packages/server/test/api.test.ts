import { sqliteBackend } from "./helpers.js";
import { apiSuite } from "./suites/api.suite.js";

apiSuite(sqliteBackend);
