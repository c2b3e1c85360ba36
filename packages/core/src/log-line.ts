/**
 * Characters that JSON.stringify leaves raw but that break or disguise a log line: C1
 * controls (U+0085 NEL is a line break to many tools, U+009B starts terminal escape
 * sequences), U+2028 and U+2029 (line and paragraph separators), and the bidirectional
 * controls that reorder what a reader sees (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069). DEL is included with the C1 range.
 */
const UNSAFE_IN_LOG_LINE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A serialized JSON log line with each unsafe character written as a `\uXXXX` escape.
 * Such characters can only stand inside JSON strings, where the escape means the same
 * character, so the line parses to the same value while no tool splits or reorders it.
 */
export function escapeLogLine(line: string): string {
  return line.replace(UNSAFE_IN_LOG_LINE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
