// inquirer prompts on the CLI's own streams. inquirer ends its output stream when a prompt is
// done; stderr must outlive the prompt (progress lines follow it), so it gets a stand-in that
// forwards writes and ignores the end.
import {Writable} from 'node:stream'

import type {InStream, OutStream} from './io.js'

class KeepOpen extends Writable {
  readonly isTTY?: boolean
  readonly columns?: number
  readonly rows?: number

  constructor(private readonly target: OutStream) {
    super()
    this.isTTY = target.isTTY
    this.columns = target.columns
    this.rows = target.rows
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.target.write(chunk)
    callback()
  }
}

export interface PromptStreams {
  stdin: InStream
  stderr: OutStream
}

export async function promptSecret(message: string, streams: PromptStreams): Promise<string> {
  const {password} = await import('@inquirer/prompts')
  return password({message, mask: '*'}, {input: streams.stdin, output: new KeepOpen(streams.stderr)})
}

export async function promptText(message: string, streams: PromptStreams): Promise<string> {
  const {input} = await import('@inquirer/prompts')
  return input({message}, {input: streams.stdin, output: new KeepOpen(streams.stderr)})
}
