// A router alone in its own process, so that its memory can be measured apart from the client
// and the dyno. Routes `shop` to the one dyno named in ROUTER_TEST_DYNO_PORT; answers `mem`
// messages with process.memoryUsage(); sends {port} once listening.
import {HttpRouter} from '../../../src/server/router/index.js'

const dynoPort = Number(process.env.ROUTER_TEST_DYNO_PORT)
const router = new HttpRouter({
  directory: {list: (name) => (name === 'shop' ? [{name: 'web.1', host: '127.0.0.1', port: dynoPort, state: 'up'}] : [])},
  resolveApp: (name) => (name === 'shop' ? {id: 'id-shop', name} : undefined),
  host: '127.0.0.1',
  port: 0,
})
const {port} = await router.listen()
process.on('message', (message: unknown) => {
  if (message === 'mem') process.send?.({mem: process.memoryUsage()})
  if (message === 'close') void router.close().then(() => process.disconnect())
})
process.on('disconnect', () => void router.close())
process.send?.({port})
