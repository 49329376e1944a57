/** Joins path segments, encoding each one: an app or process type is never trusted to be URL-safe. */
export function pathOf(...segments: Array<string | number>): string {
  return '/' + segments.map((segment) => encodeURIComponent(String(segment))).join('/')
}
