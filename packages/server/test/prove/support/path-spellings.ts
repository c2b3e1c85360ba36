/**
 * Other spellings of a route's path, as an attacker writes them to slip past a check that
 * looks at the path differently from the router: letter case, trailing and doubled
 * slashes, `.` and `..` segments, percent-encoded letters and slashes, `;` parameters,
 * backslashes, and the route's neighbours. `known` lists the API's real paths, which are
 * left out of the neighbours.
 */
export function spellingsOf(path: string, known: readonly string[]): string[] {
  const segments = path.split('/').slice(1);
  const last = segments.at(-1) ?? '';
  const parent = `/${segments.slice(0, -1).join('/')}`;
  const encodeLetter = (text: string, at: number) => `${text.slice(0, at)}%${text.charCodeAt(at).toString(16)}${text.slice(at + 1)}`;
  const spellings = [
    // letter case
    path.toUpperCase(),
    segments.map((s) => s.charAt(0).toUpperCase() + s.slice(1)).map((s) => `/${s}`).join(''),
    `${parent}/${last.toUpperCase()}`,
    path.replace('api', 'API'),
    // slashes
    `${path}/`,
    `${path}//`,
    `/${path}`,
    path.replace(/\//g, '//'),
    path.replace('/api/', '/api//'),
    // (after a leading `/`: Node's parser refuses a request target without one)
    `/${path.slice(1).replaceAll('/', '\\')}`,
    path.replace('/api/', '/api\\'),
    // dot segments
    `${path}/.`,
    `${path}/./`,
    `/.${path}`,
    path.replace('/api/', '/api/./'),
    `${parent}/x/../${last}`,
    `/x/..${path}`,
    `${path}/..`,
    `${path}/%2e`,
    `${parent}/%2e%2e/${segments.slice(-2).join('/')}`,
    // percent-encoding: letters (lower- and upper-case hex), slashes, the whole last segment
    encodeLetter(path, path.length - 1),
    encodeLetter(path, 1),
    encodeLetter(path, 1).toUpperCase(),
    path.replaceAll('/', '%2F').replace(/^%2F/, '/'),
    path.replaceAll('/', '%2f').replace(/^%2f/, '/'),
    `${parent}%2F${last}`,
    `${parent}/${[...last].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`,
    `${path}%00`,
    `${path}%20`,
    // `;` parameters and other separators
    `${path};`,
    `${path};x=1`,
    `${parent};/${last}`,
    // neighbours
    `${path}x`,
    path.slice(0, -1),
    `${path}/x`,
    `${path}/../${last}`,
    `${parent}/`,
    parent,
  ];
  return [...new Set(spellings)].filter((spelling) => spelling !== path && !known.includes(spelling));
}
