import { ValidationError } from '@llm-settings/core';

/** A parsed If-Match field: "*" or the strong entity tags it lists (weak ones are dropped). */
export type IfMatch = { kind: 'any' } | { kind: 'tags'; strong: string[] };

/** A parsed If-None-Match field: "*" or the entity tags it lists, weak or not. */
export type IfNoneMatch = { kind: 'any' } | { kind: 'tags'; tags: string[] };

/**
 * One list member and the separator after it: optional `W/`, a quoted tag of etagc
 * characters (RFC 9110 §8.8.3, which allows commas inside the quotes), then a comma or
 * the end. Sticky, so members are read one after another with nothing skipped.
 */
const LIST_MEMBER = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/y;
/** Empty list members, which the list syntax (RFC 9110 §5.6.1) allows and ignores. */
const EMPTY_MEMBER = /[ \t]*,/y;

/**
 * Parses an If-Match field value per RFC 9110 §13.1.1: `*` or a comma-separated list
 * of entity tags. If-Match uses the strong comparison, so a weak tag can never match
 * and is dropped here; a list of weak tags alone therefore never holds.
 * @returns undefined when the header is absent.
 * @throws ValidationError when the value is not `*` or a list of quoted tags.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  const parsed = parseTagList(header, 'If-Match');
  if (parsed === undefined || parsed.kind === 'any') return parsed;
  return { kind: 'tags', strong: parsed.tags.filter((tag) => !tag.weak).map((tag) => tag.opaque) };
}

/**
 * Parses an If-None-Match field value per RFC 9110 §13.1.2: `*` or a comma-separated list
 * of entity tags, compared weakly: `W/"a"` names the same tag as `"a"`.
 * @returns undefined when the header is absent.
 * @throws ValidationError when the value is not `*` or a list of quoted tags.
 */
export function parseIfNoneMatch(header: string | undefined): IfNoneMatch | undefined {
  const parsed = parseTagList(header, 'If-None-Match');
  if (parsed === undefined || parsed.kind === 'any') return parsed;
  return { kind: 'tags', tags: parsed.tags.map((tag) => tag.opaque) };
}

/** Whether a parsed If-None-Match names `etag` (a core etag): `*` names any. */
export function namesTag(ifNoneMatch: IfNoneMatch, etag: string): boolean {
  return ifNoneMatch.kind === 'any' || ifNoneMatch.tags.includes(etag);
}

/** `*` or the entity tags a precondition field lists, each with whether it is weak. */
function parseTagList(header: string | undefined, field: string): { kind: 'any' } | { kind: 'tags'; tags: { weak: boolean; opaque: string }[] } | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const tags: { weak: boolean; opaque: string }[] = [];
  let index = 0;
  while (index < value.length) {
    EMPTY_MEMBER.lastIndex = index;
    if (EMPTY_MEMBER.test(value)) {
      index = EMPTY_MEMBER.lastIndex;
      continue;
    }
    LIST_MEMBER.lastIndex = index;
    const match = LIST_MEMBER.exec(value);
    if (!match) throw malformed(field);
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
    index = LIST_MEMBER.lastIndex;
  }
  if (tags.length === 0) throw malformed(field);
  return { kind: 'tags', tags };
}

/** The field value of an ETag header for a core etag. */
export function formatEtag(etag: string): string {
  return `"${etag}"`;
}

function malformed(field: string): ValidationError {
  const message = `${field} must be * or a comma-separated list of quoted entity tags`;
  return new ValidationError(`Invalid request: ${message}`, [{ path: field, message }]);
}
