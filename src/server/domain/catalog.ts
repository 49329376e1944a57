// The fixed catalogue a local control plane offers: the Common Runtime dyno sizes (platform-api.md
// 2.4), one region and one stack. Ids are constants so that clients may cache them.
import type {DynoSize, IdName} from '../../shared/api-types.js'

export type DynoTier = 'eco' | 'basic' | 'production' | 'performance'

export interface DynoSizeSpec {
  size: DynoSize
  tier: DynoTier
  /** Most dynos of this size one process type may run (`undefined`: only the app-wide limit). */
  perTypeLimit?: number
  /** Most one-off dynos of this tier at once. */
  oneOffLimit: number
  /** What the kernel enforces for one dyno of this size (runtime/cgroups.ts). */
  limits: DynoLimits
}

/**
 * Above its quota (the size's memory) a dyno is only told (R14); at this many times the quota the
 * kernel kills it (R15), as Heroku does for the Common Runtime's sizes.
 */
export const MEMORY_KILL_FACTOR = 2

export interface DynoLimits {
  /** The size's memory quota, in bytes: above it, R14. */
  memoryQuotaBytes: number
  /** The hard limit, MEMORY_KILL_FACTOR x the quota: there the kernel kills the dyno (R15). */
  memoryMaxBytes: number
  /** Relative CPU share, cgroups v1 `cpu.shares` (1024 for one compute unit, the kernel's default). */
  cpuShares: number
  /** Processes and threads at once, as Heroku's per-size process limits. */
  pidsMax: number
}

/** Heroku's process limits: 256 for the small sizes, 512 for Standard-2X, more for Performance. */
function pidsMaxFor(name: string, tier: DynoTier): number {
  if (name === 'Standard-2X') return 512
  if (name === 'Performance-M') return 16_384
  return tier === 'performance' ? 32_768 : 256
}

export const GENERATION: IdName = {id: '41ecfe06-59ad-48a1-a9f9-bdae8998c41e', name: 'cedar'}

function size(
  id: string,
  name: string,
  memory: number,
  compute: number,
  units: number,
  tier: DynoTier,
  dedicated = false,
): DynoSizeSpec {
  const perTypeLimit = tier === 'eco' || tier === 'basic' ? 1 : tier === 'performance' ? 10 : undefined
  const oneOffLimit = tier === 'eco' ? 1 : tier === 'performance' ? 5 : 50
  return {
    size: {
      architecture: 'amd64',
      compute,
      cost: null,
      dedicated,
      precise_dyno_units: units,
      generation: GENERATION,
      id,
      memory,
      name,
      private_space_only: false,
    },
    tier,
    perTypeLimit,
    oneOffLimit,
    limits: {
      memoryQuotaBytes: memory * 1024 ** 3,
      memoryMaxBytes: memory * 1024 ** 3 * MEMORY_KILL_FACTOR,
      cpuShares: compute * 1024,
      pidsMax: pidsMaxFor(name, tier),
    },
  }
}

export const DYNO_SIZES: readonly DynoSizeSpec[] = [
  size('80491a4a-1892-402a-98d0-db4ddff88873', 'Eco', 0.5, 1, 0, 'eco'),
  size('fa5cb773-7420-42dc-b625-0e1dd2379f9d', 'Basic', 0.5, 1, 0, 'basic'),
  size('3f757c46-13b0-4df0-b2a1-bd57a60ba69a', 'Standard-1X', 0.5, 1, 1, 'production'),
  size('151c6525-abe9-4f79-b9bd-ba23e9ee83d3', 'Standard-2X', 1, 2, 2, 'production'),
  size('c63841d0-c15b-48ce-94ed-83e51ada8f65', 'Performance-M', 2.5, 2, 8, 'performance', true),
  size('5756687a-9e57-4b18-a49c-81e0f227cafe', 'Performance-L', 14, 8, 16, 'performance', true),
  size('170b1b2f-af8e-47c1-b374-de7488b58c2a', 'Performance-L-RAM', 30, 4, 24, 'performance', true),
  size('05c1b8b2-1e4b-447a-a994-589d1e3c44ba', 'Performance-XL', 62.5, 8, 48, 'performance', true),
  size('3ecfbc0a-89de-4d2d-a5c8-3b6f296aec0c', 'Performance-2XL', 126, 16, 96, 'performance', true),
]

export const DEFAULT_DYNO_SIZE = 'Standard-1X'

/** At most this many formation dynos per app, across all types (Cedar's default). */
export const MAX_DYNOS_PER_APP = 100

/** A size by id or by name, the name matched case-insensitively. */
export function findDynoSize(identity: string): DynoSizeSpec | undefined {
  const wanted = identity.toLowerCase()
  return DYNO_SIZES.find((s) => s.size.id === wanted || s.size.name.toLowerCase() === wanted)
}

export function dynoSizeSpec(name: string): DynoSizeSpec {
  return findDynoSize(name) ?? (findDynoSize(DEFAULT_DYNO_SIZE) as DynoSizeSpec)
}

/** `A, B and C`, as Heroku's messages list things. */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

export const AVAILABLE_SIZES_TEXT = listWords(DYNO_SIZES.map((s) => s.size.name))

export interface RegionInfo {
  country: string
  created_at: string
  description: string
  id: string
  locale: string
  name: string
  private_capable: boolean
  provider: {name: string; region: string}
  updated_at: string
}

export const REGIONS: readonly RegionInfo[] = [
  {
    country: 'Local',
    created_at: '2026-01-01T00:00:00Z',
    description: 'This machine (tug local control plane)',
    id: '0d8f944b-dc1c-4b85-bfea-c9eb4476f930',
    locale: 'local',
    name: 'us',
    private_capable: false,
    provider: {name: 'tug', region: 'us-east-1'},
    updated_at: '2026-01-01T00:00:00Z',
  },
]

export interface StackInfo {
  created_at: string
  default: boolean
  id: string
  name: string
  state: 'public' | 'beta' | 'deprecated'
  updated_at: string
}

export const STACKS: readonly StackInfo[] = [
  {
    created_at: '2026-01-01T00:00:00Z',
    default: true,
    id: '1cd9e16f-3cf3-4f55-86c0-85313491cc3f',
    name: 'heroku-24',
    state: 'public',
    updated_at: '2026-01-01T00:00:00Z',
  },
]

export function findRegion(identity: string): RegionInfo | undefined {
  const wanted = identity.toLowerCase()
  return REGIONS.find((r) => r.id === wanted || r.name === wanted)
}

export function findStack(identity: string): StackInfo | undefined {
  const wanted = identity.toLowerCase()
  return STACKS.find((s) => s.id === wanted || s.name === wanted)
}
