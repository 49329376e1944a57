// A worker dyno: does a unit of "work" every two seconds and says so on stdout.
const dyno = process.env.DYNO ?? 'worker.?'
let jobs = 0

console.log(`${dyno} ready`)
const timer = setInterval(() => {
  jobs += 1
  console.log(`processed job ${jobs}`)
}, 2000)

process.on('SIGTERM', () => {
  clearInterval(timer)
  console.log(`stopping after ${jobs} jobs`)
  process.exit(0)
})
