export { SqliteJobStore, SQLITE_STORE_DEFAULTS, type SqliteJobStoreOptions } from './sqlite-job-store.js';
