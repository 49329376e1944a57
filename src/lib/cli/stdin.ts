import type {InStream} from './io.js'

/** Everything on stdin up to EOF, as UTF-8. */
export async function readAll(stdin: InStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks).toString('utf8')
}
