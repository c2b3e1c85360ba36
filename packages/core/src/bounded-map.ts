/**
 * Sets `key` as the newest entry of an insertion-ordered Map, then drops the oldest entry
 * when the map holds more than `maxEntries`: the bound of core's caches (the views, the
 * checked tokens, the token revocations).
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value as K);
}
