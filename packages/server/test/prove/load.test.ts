import { describeLoad } from './support/load-suite.js';

// The quick variant; load.soak.ts runs 200 clients for 30 s.
describeLoad({ clients: 50, durationMs: 3_000 });
