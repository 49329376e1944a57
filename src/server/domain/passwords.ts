// Passwords, hashed with scrypt (memory-hard) from node:crypto, stored as
// `scrypt$N$r$p$salt$hash` (base64url) so that the cost can grow without a migration.
import {randomBytes, scrypt, timingSafeEqual, type ScryptOptions} from 'node:crypto'

export const MIN_PASSWORD_LENGTH = 10
/** 2^15 × 8 × 128 bytes = 32 MiB per hash, about 0.1 s on one core. */
const COST = {N: 2 ** 15, r: 8, p: 1}
const KEY_LENGTH = 32

function derive(password: string, salt: Buffer, options: {N: number; r: number; p: number}): Promise<Buffer> {
  const scryptOptions: ScryptOptions = {...options, maxmem: 256 * options.N * options.r + 1024 * 1024}
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, scryptOptions, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'password is required (a string of at least 10 characters).'
  if ([...password].length < MIN_PASSWORD_LENGTH) return `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters.`
  if (password.length > 1024) return 'The password is too long: use at most 1024 characters.'
  return undefined
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `password` matches `stored`; false for a malformed hash. Constant-time in the comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return false
  const expected = Buffer.from(parts[5] as string, 'base64url')
  const key = await derive(password, Buffer.from(parts[4] as string, 'base64url'), {N, r, p})
  return key.length === expected.length && timingSafeEqual(key, expected)
}
