import { expect } from 'vitest';

type Json = Record<string, unknown>;

/** Checks that every `$ref` in `document` names a node of it (a JSON pointer from its root). */
export function expectRefsResolve(document: unknown): void {
  for (const ref of refsIn(document)) expect(resolvePointer(document, ref), ref).toBeDefined();
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) {
      if (key === '$ref' && typeof field === 'string') found.push(field);
      else refsIn(field, found);
    }
  }
  return found;
}

function resolvePointer(document: unknown, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
}
