import type { SettingRecord } from './ports/settings-store.port.js';

/** ETag of "nothing stored". */
export const ABSENT_ETAG = '0';

/**
 * Opaque entity tag of a record. The write time is part of it so that a key deleted
 * and written again (its version restarting at 1) does not reuse an old tag.
 */
export function etagOf(record: SettingRecord | null): string {
  return record === null ? ABSENT_ETAG : `${record.version}-${record.updatedAt.getTime().toString(36)}`;
}
