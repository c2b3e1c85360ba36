import { packageProject } from '../../vitest.shared.js';

export default packageProject('auth-jose');
