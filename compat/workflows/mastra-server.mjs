// A real Mastra server (the same HTTP stack `mastra dev` runs: @mastra/deployer's Hono server) with
// the compat workflows on in-memory storage, for comparing its answers with weft's. Prints "ready".
import { Mastra } from '@mastra/core';
import { InMemoryStore } from '@mastra/core/storage';
import { createWorkflow, createStep } from '@mastra/core/workflows';
import { createNodeServer } from '@mastra/deployer/server';
import { defineWorkflows } from './defs.mjs';

const port = Number(process.argv[2]);
const mastra = new Mastra({ workflows: defineWorkflows({ createWorkflow, createStep }), storage: new InMemoryStore(), server: { port, host: '127.0.0.1' } });
await createNodeServer(mastra, { tools: {}, studio: false, isDev: false });
console.log('ready');
