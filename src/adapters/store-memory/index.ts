export { MemoryJobStore, MEMORY_STORE_DEFAULTS, type MemoryJobStoreOptions } from './memory-job-store.js';
