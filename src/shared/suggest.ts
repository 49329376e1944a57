// "Did you mean ...?" for a mistyped command or process type: the closest known names by edit
// distance. Pure, so the control plane's messages use it too.

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost)
    }
    previous = current
  }
  return previous[b.length] as number
}

/**
 * The known ids nearest to `id` (all of them at the smallest distance, alphabetically, at most
 * `max`), when near enough to be a typo: at most 2 edits, or a third of the longer id's length.
 */
export function suggestCommands(id: string, known: readonly string[], max = 3): string[] {
  const scored = known
    .map((candidate) => ({candidate, distance: editDistance(id, candidate)}))
    .filter(({candidate, distance}) => distance <= Math.max(2, Math.floor(Math.max(id.length, candidate.length) / 3)))
  const best = Math.min(...scored.map(({distance}) => distance))
  return scored
    .filter(({distance}) => distance === best)
    .map(({candidate}) => candidate)
    .sort()
    .slice(0, max)
}

/** The message for an unknown command, with a suggestion when there is one. */
export function commandNotFoundMessage(bin: string, id: string, known: readonly string[]): string {
  const [best, ...others] = suggestCommands(id, known)
  const guess = best === undefined ? '' : ` Did you mean ${[best, ...others].map((c) => `${bin} ${c}`).join(', or ')}?`
  return `Error: ${bin} ${id} is not a tug command.${guess}\nRun \`${bin} --help\` for the list of commands.\n`
}

/**
 * What follows "no such process type TYPE" (with a leading space): the nearest type, then all of
 * the app's types, so that a typo or a wrong guess is fixed without another command.
 */
export function processTypeSuggestion(type: string, known: readonly string[]): string {
  if (known.length === 0) return ' It has no process types yet.'
  const [best, ...others] = suggestCommands(type, known)
  const guess = best === undefined ? '' : ` Did you mean ${[best, ...others].join(' or ')}?`
  return `${guess} Its process types are ${known.join(', ')}.`
}
