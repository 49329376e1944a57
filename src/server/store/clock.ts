/** The wire's timestamp form: RFC 3339, UTC, whole seconds, `Z`. */
export function toTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export type Clock = () => Date

export const systemClock: Clock = () => new Date()
