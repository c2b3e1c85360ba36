import { describeLoad } from './support/load-suite.js';

describeLoad({ clients: 200, durationMs: 30_000 });
