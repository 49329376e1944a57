// A web dyno: answers every request with the dyno that served it, so routing can be seen.
import {createServer} from 'node:http'

const port = Number(process.env.PORT ?? 5000)
const dyno = process.env.DYNO ?? 'web.?'

const server = createServer((req, res) => {
  console.log(`${req.method} ${req.url}`)
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.end(`hello from ${dyno}\n`)
})

server.listen(port, () => console.log(`listening on ${port}`))
process.on('SIGTERM', () => {
  console.log('SIGTERM received, closing')
  server.close(() => process.exit(0))
})
