import assert from 'node:assert/strict'
import {Errors} from '@oclif/core'

import {parseMessage, renderError} from '../../../src/lib/cli/error-output.js'
import {ApiError, NetworkError, RemoteExitError, RuntimeError, UsageError} from '../../../src/lib/errors.js'

describe('cli/error-output', () => {
  it('prints usage errors with their hint and exit 2', () => {
    assert.deepEqual(renderError(new UsageError('No app specified. Use -a APP or set TUG_APP.')), {
      lines: ['Error: No app specified. Use -a APP or set TUG_APP.'],
      exitCode: 2,
    })
    assert.deepEqual(renderError(new UsageError('bad', {hint: 'do this'})), {lines: ['Error: bad', 'do this'], exitCode: 2})
  })

  it('adds a login hint to a 401 and an apps hint to a 404 app', () => {
    const unauthorized = new ApiError({status: 401, id: 'unauthorized', message: 'Invalid credentials provided.'})
    assert.deepEqual(renderError(unauthorized), {
      lines: ['Error: Invalid credentials provided.', 'Run `tug login` to log in again, or set TUG_API_KEY.'],
      exitCode: 1,
    })
    const missing = new ApiError({status: 404, id: 'not_found', message: "Couldn't find that app.", body: {resource: 'app'}})
    assert.deepEqual(renderError(missing).lines, ["Error: Couldn't find that app.", 'Check the app name with `tug apps`.'])
    const noDyno = new ApiError({status: 404, id: 'not_found', message: "Couldn't find that dyno."})
    assert.deepEqual(renderError(noDyno).lines, ["Error: Couldn't find that dyno."])
  })

  it('maps network and runtime errors to exit 1, a remote exit to its status with no output', () => {
    assert.equal(renderError(new NetworkError('down')).exitCode, 1)
    assert.equal(renderError(new RuntimeError('failed')).exitCode, 1)
    assert.deepEqual(renderError(new RemoteExitError(42)), {lines: [], exitCode: 42})
  })

  it('treats oclif parse errors as usage errors', () => {
    const rendered = renderError(new Errors.CLIError('Nonexistent flag: --nope\nSee more help with --help'))
    assert.deepEqual(rendered, {lines: ['Error: Nonexistent flag: --nope', 'See more help with --help.'], exitCode: 2})
  })

  it('makes oclif parse messages one line', () => {
    assert.equal(parseMessage('Parsing --wait-interval \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help'),
      'Parsing --wait-interval: Expected an integer greater than or equal to 1 but received: 0')
    assert.equal(parseMessage('The following error occurred:\n  --type=web cannot also be provided when using --dyno\nSee more help with --help'),
      '--type=web cannot also be provided when using --dyno')
    assert.equal(parseMessage('Missing 1 required arg:\ntarget  a dyno name (run.4821) or a process type (worker)\nSee more help with --help'),
      'Missing 1 required arg: target a dyno name (run.4821) or a process type (worker)')
  })

  it('shows unexpected errors as exit 1', () => {
    assert.deepEqual(renderError(new TypeError('boom')), {lines: ['Error: boom'], exitCode: 1})
  })
})
