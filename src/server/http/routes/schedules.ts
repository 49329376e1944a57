// Scheduled one-off runs: tug's own extension (Heroku has an add-on for this, not an API).
//
//   GET    /apps/{app}/schedules        200 [Schedule]
//   POST   /apps/{app}/schedules        201 Schedule   body {schedule, command, timezone?, size?}
//   DELETE /apps/{app}/schedules/{id}   200 Schedule   (the one removed)
//
// Schedule (src/shared/api-types.ts): {app: {id, name}, id, schedule: "*/10 * * * *",
// timezone: "Europe/Berlin", command, size, next_run_at, last_run_at, created_at, updated_at}.
// `schedule` is a five-field cron expression or a macro (@hourly, @daily...); `timezone` an IANA
// zone, default UTC; `size` a dyno size, default Standard-1X. Each run is a one-off `scheduler.N`.
import type {Schedule} from '../../../shared/api-types.js'
import {AVAILABLE_SIZES_TEXT, DEFAULT_DYNO_SIZE, findDynoSize} from '../../domain/catalog.js'
import {CronError, isValidTimeZone, parseCron} from '../../scheduler/cron.js'
import {nextRunOf, scheduleTimestamp} from '../../scheduler/scheduler.js'
import type {AppRecord, ScheduleRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {optionalString} from '../validate.js'

export function scheduleToWire(app: AppRecord, schedule: ScheduleRecord, now: Date = new Date()): Schedule {
  return {
    app: {id: app.id, name: app.name},
    id: schedule.id,
    schedule: schedule.expression,
    timezone: schedule.timezone,
    command: schedule.command,
    size: schedule.size,
    next_run_at: scheduleTimestamp(nextRunOf(schedule, now)),
    last_run_at: schedule.last_run_at,
    created_at: schedule.created_at,
    updated_at: schedule.updated_at,
  }
}

export const schedulesRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/apps/:app/schedules', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return store.schedules.list(target.id).map((s) => scheduleToWire(target, s))
  })

  app.post('/apps/:app/schedules', {config: {access: 'write'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const body = objectBody(request.body)
    const expression = optionalString(body, 'schedule')?.trim()
    if (!expression) throw invalidParams('schedule is required: a cron expression like "*/10 * * * *".')
    try {
      parseCron(expression)
    } catch (error) {
      if (error instanceof CronError) throw invalidParams(`Invalid schedule: ${error.message}`)
      throw error
    }
    const command = optionalString(body, 'command')
    if (command === undefined || command.trim() === '') throw invalidParams('command is required: the command to run.')
    // A NUL cannot go into argv: every run of the schedule would fail to spawn.
    if (command.includes('\u0000')) throw invalidParams('command contains a NUL byte: a process cannot carry it.')
    const timezone = optionalString(body, 'timezone') ?? 'UTC'
    if (!isValidTimeZone(timezone)) throw invalidParams(`Invalid timezone: ${timezone}. Use an IANA time zone like Europe/Berlin.`)
    const sizeName = optionalString(body, 'size')
    let size = DEFAULT_DYNO_SIZE
    if (sizeName !== undefined) {
      const found = findDynoSize(sizeName)
      if (!found) throw invalidParams(`No such size as ${sizeName}. Available dyno sizes are ${AVAILABLE_SIZES_TEXT}.`)
      size = found.size.name
    }
    const schedule = store.schedules.insert(target.id, {expression, timezone, command, size})
    await deps.runtime.schedulesChanged?.(target.id)
    reply.code(201)
    return scheduleToWire(target, schedule)
  })

  app.delete('/apps/:app/schedules/:id', {config: {access: 'write'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const schedule = store.schedules.get(target.id, params(request).id ?? '')
    if (!schedule) throw notFound('schedule', "Couldn't find that schedule.")
    store.schedules.delete(target.id, schedule.id)
    await deps.runtime.schedulesChanged?.(target.id)
    return scheduleToWire(target, schedule)
  })
}
