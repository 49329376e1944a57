// pg:backups:download: the dump is read from a short-lived capability URL the control plane hands
// out (no credentials travel with it), streamed to a file beside the destination and renamed once
// complete, so an interrupted download never leaves a truncated file under the name asked for.
import {createWriteStream, renameSync, rmSync} from 'node:fs'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import type {ReadableStream} from 'node:stream/web'
import {RuntimeError} from '../errors.js'

/** Writes what `url` answers to `file`; resolves with the number of bytes. */
export async function downloadTo(url: string, file: string): Promise<number> {
  const response = await fetch(url)
  if (!response.ok || !response.body) {
    throw new RuntimeError(`The download of the backup failed: the control plane answered ${response.status} (${(await response.text()).slice(0, 200)}).`)
  }
  const partial = `${file}.partial`
  let bytes = 0
  const counted = Readable.fromWeb(response.body as ReadableStream<Uint8Array>).on('data', (chunk: Buffer) => (bytes += chunk.length))
  try {
    await pipeline(counted, createWriteStream(partial, {mode: 0o600}))
    renameSync(partial, file)
  } catch (error) {
    rmSync(partial, {force: true})
    throw new RuntimeError(`The download of the backup to ${file} failed: ${(error as Error).message}`)
  }
  return bytes
}
