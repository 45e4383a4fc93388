import { postgresBackend } from "./helpers.js";
import { apiSuite } from "./suites/api.suite.js";
import { publicRetrieverSuite } from "./suites/public-retrievers.suite.js";
import { retrieverSuite } from "./suites/retrievers.suite.js";

// The same suites as api.test.ts / retrievers.test.ts / public-retrievers.test.ts, on PostgreSQL (fresh schema per suite, dropped after).
apiSuite(postgresBackend);
retrieverSuite(postgresBackend);
publicRetrieverSuite(postgresBackend);
