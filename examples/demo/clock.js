// A clock dyno: a long-running process that triggers work on a schedule (here, every ten seconds).
const timer = setInterval(() => console.log(`tick ${new Date().toISOString()}`), 10_000)
console.log('clock started')
process.on('SIGTERM', () => {
  clearInterval(timer)
  process.exit(0)
})
