import { memoryStore } from '../../src/store/memory/memory-store.js';
import { storeContract } from './contract.js';

storeContract('memory', async () => ({ store: memoryStore(), cleanup: async () => {} }));
