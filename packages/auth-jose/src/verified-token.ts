import type { ScopedCaller } from '@llm-settings/core';

/** A token whose signature and claims hold: who it stands for, and when it was issued (`iat`, in seconds, or null). */
export interface VerifiedToken {
  readonly caller: ScopedCaller;
  readonly issuedAt: number | null;
}
