// Label and field selectors as the API server parses them (the subset clients use:
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`; fields: `path=value`, `path!=value`).
import type {KubeObject} from './types.js'

type Requirement = (labels: Record<string, string>) => boolean

export class SelectorError extends Error {}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of selector) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (char === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += char
  }
  parts.push(current)
  return parts.map((part) => part.trim()).filter((part) => part !== '')
}

function requirement(text: string): Requirement {
  let match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text)
  if (match) {
    const [, key, op, list] = match as unknown as [string, string, string, string]
    const values = list.split(',').map((value) => value.trim())
    return op === 'in'
      ? (labels) => key in labels && values.includes(labels[key] as string)
      : (labels) => !(key in labels) || !values.includes(labels[key] as string)
  }
  match = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(text)
  if (match) {
    const [, key, op, value] = match as unknown as [string, string, string, string]
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value
  }
  match = /^(!?)([\w./-]+)$/.exec(text)
  if (match) {
    const [, not, key] = match as unknown as [string, string, string]
    return not ? (labels) => !(key in labels) : (labels) => key in labels
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(text)}`)
}

export function parseLabelSelector(selector: string | undefined): (object: KubeObject) => boolean {
  if (!selector) return () => true
  const requirements = splitTopLevel(selector).map(requirement)
  return (object) => requirements.every((matches) => matches(object.metadata.labels ?? {}))
}

function fieldValue(object: KubeObject, path: string): string | undefined {
  let value: unknown = object
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value === undefined || value === null ? undefined : String(value)
}

export function parseFieldSelector(selector: string | undefined): (object: KubeObject) => boolean {
  if (!selector) return () => true
  const checks = splitTopLevel(selector).map((text) => {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(text)
    if (!match) throw new SelectorError(`invalid field selector: ${JSON.stringify(text)}`)
    const [, path, op, value] = match as unknown as [string, string, string, string]
    if (!/^(metadata\.(name|namespace)|status\.phase|spec\.nodeName)$/.test(path)) {
      throw new SelectorError(`field label not supported: ${path}`)
    }
    return (object: KubeObject) => ((fieldValue(object, path) ?? '') === value) === (op !== '!=')
  })
  return (object) => checks.every((check) => check(object))
}

/** matchLabels + matchExpressions of a LabelSelector object. */
export function matchesLabelSelector(
  selector: {matchLabels?: Record<string, string>; matchExpressions?: {key: string; operator: string; values?: string[]}[]} | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false
  for (const {key, operator, values = []} of selector.matchExpressions ?? []) {
    const has = key in labels
    if (operator === 'In' && !(has && values.includes(labels[key] as string))) return false
    if (operator === 'NotIn' && has && values.includes(labels[key] as string)) return false
    if (operator === 'Exists' && !has) return false
    if (operator === 'DoesNotExist' && has) return false
  }
  return true
}
