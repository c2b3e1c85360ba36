/**
 * Keys of the built-in providers whose prefix is not `sk-`, at their real lengths: xAI
 * (`xai-` and 80 letters and digits), Groq (`gsk_` and 52), Google's Gemini (`AIza` and 35
 * of `[A-Za-z0-9_-]`). Made of parts, so that no secret scanner takes them for real ones.
 */
export const PREFIXED_KEYS: ReadonlyArray<readonly [provider: string, key: string]> = [
  ['xAI', `xai-${'FakeXaiKey'.padEnd(80, '0123456789')}`],
  ['Groq', `gsk_${'FakeGroqKey'.padEnd(52, '0123456789')}`],
  ['Gemini', `AIza${'Sy_Fake-GeminiKey'.padEnd(35, '0123456789')}`],
];

/** Names that merely start like those keys, and ordinary scope names: none is a key. */
export const NAMES_LIKE_PREFIXES = ['gsk', 'gsk_team', 'xai', 'xai-team', 'xai-prod-eu-1', 'AIza', 'AIzaTeam', 'tenant-42', 'user_7', 'team-3', `gsk_${'a'.repeat(20)}`];
