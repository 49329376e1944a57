// Just enough of Redis's protocol (RESP) for the control plane to ask its own redis-servers
// whether they answer: one connection, commands in, the first line of each reply out.
import {connect} from 'node:net'

/** Sends `commands` in order and resolves with each reply's first line (`+PONG`, `-NOAUTH ...`, `$3`). */
export function redisCommands(port: number, commands: string[][], timeoutMs = 2000, host = '127.0.0.1'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({host, port})
    const replies: string[] = []
    let buffer = ''
    const timer = setTimeout(() => socket.destroy(new Error(`no reply from redis on port ${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => {
      socket.write(commands.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''))
    })
    socket.on('data', (chunk: string) => {
      buffer += chunk
      // Replies to PING, AUTH, SET, GET and CONFIG are each one line, or a bulk string of two.
      let index: number
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index)
        buffer = buffer.slice(index + 2)
        if (line.startsWith('$') && line !== '$-1') {
          const length = Number(line.slice(1))
          if (buffer.length < length + 2) {
            buffer = `${line}\r\n${buffer}`
            break
          }
          replies.push(buffer.slice(0, length))
          buffer = buffer.slice(length + 2)
        } else {
          replies.push(line)
        }
        if (replies.length === commands.length) {
          clearTimeout(timer)
          socket.end()
          resolve(replies)
          return
        }
      }
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      if (replies.length < commands.length) reject(new Error(`redis on port ${port} closed the connection`))
    })
  })
}
