/**
 * How a message names a CLI command: as an installed app runs it (the package's
 * `llm-settings` bin, through npx or a script) and as a clone of this repository does.
 */
export function cliCommand(command: string): string {
  return `\`npx llm-settings ${command}\` (in a clone of llm-settings: \`npm run llm-settings -- ${command}\`)`;
}
