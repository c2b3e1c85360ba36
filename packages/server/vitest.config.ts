import { packageProject } from '../../vitest.shared.js';

// End-to-end tests start servers and CLI processes: allow them time, and run the
// files one after another so their servers do not compete for the two cores.
export default packageProject('server', { testTimeout: 60_000, fileParallelism: false });
