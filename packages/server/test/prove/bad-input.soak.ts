import { describeBadInput } from './support/fuzz-suite.js';

describeBadInput({ requests: 10_000, pollutions: 500 });
