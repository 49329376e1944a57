// What a drain receives, as Logplex sends it: one RFC 5424 message per log line,
//   <190>1 2026-11-27T11:15:41.123456+00:00 d.<uuid> app web.1 - - message
// (PRI = local7.info; HOSTNAME = the drain token; APP-NAME = the source, `app` or `tug`;
// PROCID = the dyno; no MSGID, no structured data), framed by octet counting (RFC 6587 3.4.1):
// `<byte length> <message>`. An HTTPS drain gets the same frames, several per POST body.
import {parseLogLine} from '../../../shared/log-line.js'

/** local7 (23) * 8 + informational (6), as Logplex uses. */
export const SYSLOG_PRI = 190

/** The RFC 5424 message for one formatted log line (`<timestamp> <source>[<dyno>]: message`). */
export function syslogMessage(line: string, token: string): string {
  const parsed = parseLogLine(line)
  if (!parsed) return `<${SYSLOG_PRI}>1 - ${token} - - - - ${line}`
  return `<${SYSLOG_PRI}>1 ${parsed.timestamp} ${token} ${parsed.source} ${parsed.dyno} - - ${parsed.message}`
}

/** `<length in bytes> <message>`. */
export function octetFrame(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`
}

export function syslogFrame(line: string, token: string): string {
  return octetFrame(syslogMessage(line, token))
}

/**
 * Splits a buffer of octet-counted frames (as a receiver would); the messages found, and how many
 * bytes of an incomplete frame are left at the end.
 */
export function parseOctetFrames(data: Buffer): {messages: string[]; rest: Buffer} {
  const messages: string[] = []
  let offset = 0
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset)
    if (space === -1) break
    const length = Number(data.toString('latin1', offset, space))
    if (!Number.isInteger(length) || length < 0) throw new Error(`not an octet-counted frame at byte ${offset}`)
    if (space + 1 + length > data.length) break
    messages.push(data.toString('utf8', space + 1, space + 1 + length))
    offset = space + 1 + length
  }
  return {messages, rest: data.subarray(offset)}
}
