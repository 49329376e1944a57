// Heroku-style random app names: adjective-noun-NNNN (`infinite-crag-6128`).
import {randomInt} from 'node:crypto'

const ADJECTIVES = [
  'ancient', 'autumn', 'billowing', 'bitter', 'blooming', 'blue', 'bold', 'brave', 'calm', 'cold',
  'cool', 'crimson', 'damp', 'dark', 'dry', 'evening', 'falling', 'floating', 'fragrant', 'frosty',
  'gentle', 'glacial', 'green', 'hidden', 'icy', 'infinite', 'late', 'lingering', 'little', 'lively',
  'misty', 'morning', 'muddy', 'nameless', 'polar', 'proud', 'quiet', 'restless', 'rough', 'shy',
  'silent', 'small', 'snowy', 'sparkling', 'spring', 'still', 'summer', 'sweet', 'tranquil', 'twilight',
  'wandering', 'weathered', 'white', 'wild', 'winter', 'young',
]

const NOUNS = [
  'bayou', 'beach', 'brook', 'butte', 'canyon', 'cave', 'cliffs', 'cloud', 'coast', 'cove', 'crag',
  'creek', 'dawn', 'depths', 'desert', 'dew', 'dune', 'falls', 'field', 'fjord', 'forest', 'garden',
  'glacier', 'grove', 'harbor', 'hollows', 'island', 'lake', 'meadow', 'mesa', 'mountain', 'oasis',
  'ocean', 'peak', 'plains', 'pond', 'reef', 'ridge', 'river', 'savannah', 'sea', 'shelf', 'shore',
  'sky', 'springs', 'star', 'stream', 'sun', 'thicket', 'tundra', 'valley', 'waters', 'wave', 'woods',
]

export function randomAppName(random: (max: number) => number = randomInt): string {
  const adjective = ADJECTIVES[random(ADJECTIVES.length)] as string
  const noun = NOUNS[random(NOUNS.length)] as string
  return `${adjective}-${noun}-${String(random(10_000)).padStart(4, '0')}`
}

export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/
export const PROCESS_TYPE_PATTERN = /^[-\w]{1,128}$/
/** Config var and env keys. `\w` without the `u` flag is ASCII only, so `=` and NUL never match. */
export const CONFIG_KEY_PATTERN = /^\w+$/
