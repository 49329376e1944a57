// The framing of `Upgrade: tug-attach/1` (server: src/server/http/attach-upgrade.ts; client: src/lib/run/upgrade.ts): after the 101, both sides send frames
// of [type: 1 byte][length: 4 bytes, big-endian][payload]. Keeping stdout and stderr apart and the
// exit status out of the output is the point of it; a frame is at most MAX_FRAME bytes.
export const FrameType = {
  // client -> server
  stdin: 0x01,
  /** End of input: EOF on the dyno's stdin pipe, VEOF under a pty. */
  stdinEnd: 0x02,
  /** Payload: columns and rows, two u16 big-endian. */
  resize: 0x03,
  /** Payload: the signal's name, e.g. `SIGINT`, sent to the dyno's process group. */
  signal: 0x04,
  // server -> client
  stdout: 0x11,
  stderr: 0x12,
  /** Payload: JSON {"status": N}; the last frame before the server closes. */
  exit: 0x13,
  /** Payload: a UTF-8 message; the session is over (e.g. the dyno could not start). */
  error: 0x14,
} as const

export const MAX_FRAME = 1024 * 1024
const HEADER = 5

export interface Frame {
  type: number
  payload: Buffer
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const header = Buffer.allocUnsafe(HEADER)
  header.writeUInt8(type, 0)
  header.writeUInt32BE(body.length, 1)
  return Buffer.concat([header, body])
}

export function resizePayload(cols: number, rows: number): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt16BE(Math.max(1, Math.min(65_535, Math.floor(cols))), 0)
  payload.writeUInt16BE(Math.max(1, Math.min(65_535, Math.floor(rows))), 2)
  return payload
}

export function parseResize(payload: Buffer): {cols: number; rows: number} | undefined {
  if (payload.length !== 4) return undefined
  return {cols: payload.readUInt16BE(0), rows: payload.readUInt16BE(2)}
}

/** Splits a byte stream cut anywhere into frames. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const frames: Frame[] = []
    while (this.buffer.length >= HEADER) {
      const length = this.buffer.readUInt32BE(1)
      if (length > MAX_FRAME) throw new RangeError(`frame of ${length} bytes is larger than ${MAX_FRAME}`)
      if (this.buffer.length < HEADER + length) break
      frames.push({type: this.buffer.readUInt8(0), payload: this.buffer.subarray(HEADER, HEADER + length)})
      this.buffer = this.buffer.subarray(HEADER + length)
    }
    return frames
  }

  /** Bytes of an unfinished frame. */
  get pending(): number {
    return this.buffer.length
  }
}
