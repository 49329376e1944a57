import assert from 'node:assert/strict'

import {encodeFrame, FrameDecoder, FrameType, MAX_FRAME, parseResize, resizePayload} from '../../src/shared/attach-frames.js'

describe('run: tug-attach/1 frames', () => {
  it('encodes type, big-endian length and payload', () => {
    assert.deepEqual([...encodeFrame(FrameType.stdout, 'hi')], [0x11, 0, 0, 0, 2, 0x68, 0x69])
    assert.deepEqual([...encodeFrame(FrameType.stdinEnd)], [0x02, 0, 0, 0, 0])
  })

  it('decodes frames from a stream cut at every possible size', () => {
    const stream = Buffer.concat([
      encodeFrame(FrameType.stdout, 'out'),
      encodeFrame(FrameType.stderr, Buffer.from([0xef, 0xbf, 0xbf])),
      encodeFrame(FrameType.exit, '{"status":3}'),
    ])
    for (let size = 1; size <= stream.length; size++) {
      const decoder = new FrameDecoder()
      const frames = []
      for (let i = 0; i < stream.length; i += size) frames.push(...decoder.push(stream.subarray(i, i + size)))
      assert.deepEqual(
        frames.map((f) => [f.type, f.payload.toString('latin1')]),
        [
          [0x11, 'out'],
          [0x12, '\xef\xbf\xbf'],
          [0x13, '{"status":3}'],
        ],
        `chunk size ${size}`,
      )
      assert.equal(decoder.pending, 0)
    }
  })

  it('refuses a frame longer than MAX_FRAME', () => {
    const header = Buffer.from([0x01, 0, 0, 0, 0])
    header.writeUInt32BE(MAX_FRAME + 1, 1)
    assert.throws(() => new FrameDecoder().push(header), RangeError)
  })

  it('carries a terminal size as two u16, clamped', () => {
    assert.deepEqual(parseResize(resizePayload(120, 40)), {cols: 120, rows: 40})
    assert.deepEqual(parseResize(resizePayload(0, 70_000)), {cols: 1, rows: 65_535})
    assert.equal(parseResize(Buffer.alloc(3)), undefined)
  })
})
