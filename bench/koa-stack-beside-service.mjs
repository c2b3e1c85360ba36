// The Koa stack of koa-stack.mjs served from a process that also runs the service, idle, on
// a port of its own (PORT=0): what the service's process costs code that is not the
// service's own (docs/performance.md). Environment: koa-stack.mjs's, and the service's
// (DATABASE_URL, ENCRYPTION_KEY; LOG_LEVEL serves both).
import { serve } from '../packages/server/dist/index.js';

await serve({ env: { ...process.env, PORT: '0' } });
await import('./koa-stack.mjs');
