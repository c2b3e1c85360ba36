import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import { parseMintTokenInput, parsePermissionList, type MintTokenInput } from '../src/callers.js';

/** Something a caller may paste in the wrong place: it must never come back in a message. */
const PASTED = 'sk-proj-PASTED-IN-THE-WRONG-PLACE-0123456789';

/** The ValidationError `parse` throws, printed whole (message and issues). */
function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return JSON.stringify({ message: (error as ValidationError).message, issues: (error as ValidationError).issues });
  }
  return expect.fail('accepted');
}

describe('token request refusals name fields and positions, never what was passed', () => {
  it('an unknown permission of a --can list is named by its position', () => {
    const text = refusal(() => parsePermissionList(`read,${PASTED}`));
    expect(text).toContain('permission 2 is unknown; each must be one of read, write, test, models, use');
    expect(text).not.toContain('PASTED');
  });

  it('an unknown permission of a mint request is named by its position', () => {
    const text = refusal(() => parseMintTokenInput({ scope: 'tenant-1', can: [PASTED as never], ttlSeconds: 60 }));
    expect(text).toContain('permission 1 is unknown');
    expect(text).not.toContain('PASTED');
  });

  it('an unknown field of a mint request is refused listing only the allowed fields', () => {
    const input = { scope: 'tenant-1', can: ['read'], ttlSeconds: 60, [PASTED]: 1 } as MintTokenInput;
    const text = refusal(() => parseMintTokenInput(input));
    expect(text).toContain('a token request has only the fields scope, can and ttlSeconds');
    expect(text).not.toContain('PASTED');
  });
});
