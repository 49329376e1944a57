// A dyno handle with a scripted DynoIo, for the attach transports' tests: what the transport
// wrote and signalled is recorded, and the test decides the output and the exit.
import type {DynoExit, DynoHandle, DynoIo, DynoIoStream} from '../../../src/server/runtime/backend.js'

export class FakeDyno implements DynoHandle {
  readonly id = 'fake'
  readonly input: Buffer[] = []
  readonly signals: string[] = []
  readonly resizes: Array<[number, number]> = []
  inputEnded = false
  paused = true
  readonly exited: Promise<DynoExit>
  readonly io: DynoIo
  private finish: (exit: DynoExit) => void = () => {}
  private readonly dataListeners: Array<(stream: DynoIoStream, chunk: Buffer) => void> = []
  private readonly endListeners: Array<() => void> = []
  private readonly queued: Array<[DynoIoStream, Buffer]> = []

  constructor(readonly tty = false) {
    this.exited = new Promise((resolve) => (this.finish = resolve))
    this.io = {
      tty,
      onData: (listener) => void this.dataListeners.push(listener),
      onEnd: (listener) => void this.endListeners.push(listener),
      pause: () => void (this.paused = true),
      resume: () => {
        this.paused = false
        this.flush()
      },
      write: (data) => {
        this.input.push(Buffer.from(data))
        return true
      },
      onDrain: () => {},
      endInput: () => void (this.inputEnded = true),
      resize: (cols, rows) => void this.resizes.push([cols, rows]),
      signal: (signal) => void this.signals.push(signal),
    }
  }

  /** Output, delivered while not paused. */
  emit(stream: DynoIoStream, text: string | Buffer): void {
    this.queued.push([stream, Buffer.from(text)])
    this.flush()
  }

  /** The output is over and the process exited. */
  exit(code: number | null, signal: string | null = null): void {
    const end = (): void => {
      if (this.queued.length > 0) {
        setTimeout(end, 5)
        return
      }
      for (const listener of this.endListeners) listener()
      this.finish({code, signal})
    }
    end()
  }

  get inputText(): string {
    return Buffer.concat(this.input).toString('utf8')
  }

  onOutput(): () => void {
    return () => {}
  }

  async stop(): Promise<void> {
    this.exit(null, 'SIGTERM')
  }

  async memoryBytes(): Promise<number | undefined> {
    return undefined
  }

  describe(): ReturnType<DynoHandle['describe']> {
    return {startedAt: new Date(0), record: {backend: 'fake', id: this.id, startedAt: new Date(0).toISOString()}}
  }

  private flush(): void {
    while (!this.paused && this.queued.length > 0) {
      const [stream, chunk] = this.queued.shift() as [DynoIoStream, Buffer]
      for (const listener of this.dataListeners) listener(stream, chunk)
    }
  }
}
