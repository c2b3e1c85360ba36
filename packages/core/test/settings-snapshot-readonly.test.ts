// Checked twice: by vitest at run time, and by `pnpm lint` (tsc), for which each
// `@ts-expect-error` below must meet a compile error, or fail the check.
import { describe, expect, it } from 'vitest';
import { LlmSettingsService } from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '../src/testing/index.js';

describe('SettingsSnapshot is read-only, in its type as at run time', () => {
  it('a cached snapshot refuses writes to its view and its fields, and the compiler refuses them first', async () => {
    const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe(), viewCache: {} });
    const snapshot = await service.get();
    expect(() => {
      // @ts-expect-error the view is read-only
      snapshot.view.model = 'another-model';
    }).toThrow(TypeError);
    expect(() => {
      // @ts-expect-error the snapshot's fields are read-only
      snapshot.etag = 'another-etag';
    }).toThrow(TypeError);
    expect((await service.get()).view.model).not.toBe('another-model');
    service.close();
  });
});
