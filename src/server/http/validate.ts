// Small checks for request bodies, each failing with 422 invalid_params and a message naming the
// field, so that every route words its errors the same way.
import {invalidParams} from './errors.js'

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidParams(`${field} must be a string.`)
  return value
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw invalidParams(`${field} must be true or false.`)
  return value
}

export function optionalInteger(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParams(
      max === Number.MAX_SAFE_INTEGER
        ? `${field} must be a whole number, ${min} or more.`
        : `${field} must be a whole number from ${min} to ${max}.`,
    )
  }
  return value
}
