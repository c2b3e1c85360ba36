/**
 * Tests that need root (to make a file immutable, to give a file to another user, to stop
 * PostgreSQL) skip for other users, and carry "(needs root)" in their title: CI runs the
 * suite as a non-root user, then runs the files holding such tests again as root (.ci/run).
 */
export const NEEDS_ROOT = '(needs root)';

/** Why a test that needs root is skipped here, or undefined when this process is root. */
export const ROOT_SKIPPED: string | undefined = process.getuid?.() === 0 ? undefined : `runs as uid ${process.getuid?.()}, not root`;

/** The title of a test that needs root, with why it is skipped when `skipped` says so. */
export function needsRoot(title: string, skipped: string | undefined = ROOT_SKIPPED): string {
  return skipped ? `${title} ${NEEDS_ROOT} (skipped: ${skipped})` : `${title} ${NEEDS_ROOT}`;
}
