import { MemoryJobStore } from '../../src/adapters/store-memory/index.js';
import { jobStoreConformance } from './job-store.suite.js';

jobStoreConformance('memory', async () => {
  const store = new MemoryJobStore();
  return { store, cleanup: () => store.close() };
});
