import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Makes files unwritable even for root and even through descriptors a process already
 * holds open (`chattr +i`, ext4). A plain chmod does neither: root ignores it, and an
 * open descriptor keeps its write access.
 */
export function setImmutable(paths: readonly string[], immutable: boolean): void {
  execFileSync('chattr', [immutable ? '+i' : '-i', ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** True when this machine can make a file immutable (root on ext4 or similar). */
export function canMakeImmutable(probeFile: string): boolean {
  try {
    setImmutable([probeFile], true);
    setImmutable([probeFile], false);
    return true;
  } catch {
    return false;
  }
}

function immutableSkipReason(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'llm-immutable-'));
  try {
    writeFileSync(join(dir, 'probe'), '');
    return canMakeImmutable(join(dir, 'probe')) ? undefined : '`chattr +i` is refused here (it needs root, on ext4 or similar)';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why tests that make a file immutable are skipped here, or undefined when they can run. */
export const IMMUTABLE_SKIPPED = immutableSkipReason();
