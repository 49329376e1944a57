// Tar archives written byte by byte, for the builds tests: a well-behaved tar writer refuses to
// produce the malicious archives (absolute paths, `..`, links out, devices) these tests need.
import {gzipSync} from 'node:zlib'

export interface RawEntry {
  name: string
  /** 0 file, 1 hard link, 2 symlink, 3 char device, 4 block device, 5 directory, 6 FIFO */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6'
  body?: Buffer | string
  linkname?: string
  mode?: number
  /** The size the header declares, when it should differ from the body's. */
  size?: number
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function header(entry: RawEntry, bodyLength: number): Buffer {
  const h = Buffer.alloc(512)
  h.write(entry.name, 0, 100, 'utf8')
  h.write(octal(entry.mode ?? 0o644, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  h.write(octal(entry.size ?? bodyLength, 12), 124)
  h.write(octal(1_700_000_000, 12), 136)
  h.write('        ', 148)
  h.write(entry.type ?? '0', 156)
  h.write(entry.linkname ?? '', 157, 100, 'utf8')
  h.write('ustar\0', 257)
  h.write('00', 263)
  let sum = 0
  for (const byte of h) sum += byte
  h.write(octal(sum, 7) + ' ', 148)
  return h
}

export function tarOf(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '')
    parts.push(header(entry, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

export function tgzOf(entries: RawEntry[]): Buffer {
  return gzipSync(tarOf(entries))
}
