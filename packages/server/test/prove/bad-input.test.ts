import { describeBadInput } from './support/fuzz-suite.js';

// The quick variant; bad-input.soak.ts tries thousands of inputs.
describeBadInput({ requests: 250, pollutions: 40 });
