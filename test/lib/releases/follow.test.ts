import assert from 'node:assert/strict'

import type {Release} from '../../../src/shared/api-types.js'
import {interruptedLine} from '../../../src/lib/cli/interrupt.js'
import {awaitRelease, failedReleaseHint, followReleasePhase, type FollowSteps} from '../../../src/lib/releases/follow.js'
import type {ReadLogStreamOptions, StreamLine} from '../../../src/lib/api/stream.js'
import {release} from '../../helpers/fixtures.js'

/** Steps that record progress, and a releases API that answers from a script. */
function harness(answers: Release[]): {steps: FollowSteps; info: string[]; lines: string[]; api: {releases: {info: () => Promise<Release>}}} {
  const info: string[] = []
  const lines: string[] = []
  const steps: FollowSteps = {
    sleep: async () => undefined,
    info: (text) => info.push(text),
    async action(title, work, done = () => 'done') {
      const result = await work()
      info.push(`${title}... ${done(result)}`)
      return result
    },
    async followRelease() {
      lines.push(interruptedLine() ?? '(nothing goes on)')
    },
  }
  const api = {releases: {info: async () => answers.shift() as Release}}
  return {steps, info, lines, api}
}

describe('lib/releases/follow', () => {
  describe('awaitRelease', () => {
    it('returns a release that is not pending as it is, following nothing', async () => {
      const {steps, info, api} = harness([])
      const done = await awaitRelease(api as never, 'shop', release(7, {current: true}), steps)
      assert.equal(done.version, 7)
      assert.deepEqual(info, [])
    })

    it('while the phase runs, a Ctrl-C would name it and how to follow it; nothing after', async () => {
      const {steps, info, lines, api} = harness([release(8, {status: 'pending'}), release(8, {current: true})])
      const done = await awaitRelease(api as never, 'shop', release(8, {status: 'pending'}), steps)
      assert.equal(done.current, true)
      assert.deepEqual(lines, [
        'Interrupted: the release phase of v8 goes on on the server; follow it with `tug releases:info v8 -a shop` or `tug logs -a shop --dyno release --tail`.',
      ])
      assert.deepEqual(info, ['Running release phase of v8...', 'Waiting for release v8... done'])
      assert.equal(interruptedLine(), undefined)
    })

    it('throws for a failed release with what it means for the change, and where the output is', async () => {
      const {steps, api} = harness([release(8, {status: 'failed'})])
      await assert.rejects(awaitRelease(api as never, 'shop', release(8, {status: 'pending'}), steps, {change: {effect: 'the config change did not take effect', advice: 'Try again.'}}), {
        message: 'The release phase of v8 on shop failed, so v8 did not become current: the config change did not take effect.',
        hint: 'Its output is in `tug logs -a shop --dyno release`. Try again.',
      })
      assert.equal(interruptedLine(), undefined, 'a failure leaves nothing registered')
    })
  })

  describe('failedReleaseHint', () => {
    it('fits a deploy, a config change and a rollback', () => {
      const output = 'Its release phase failed; the output is in `tug logs -a shop --dyno release`.'
      assert.equal(failedReleaseHint('shop', {description: 'Deploy 84926a80 (uncommitted changes)'}), `${output} Fix the release command and deploy again.`)
      assert.match(failedReleaseHint('shop', {description: 'Remove FOO config vars'}), /The config change did not take effect/)
      assert.match(failedReleaseHint('shop', {description: 'Set A config vars and remove B config vars'}), /The config change did not take effect/)
      assert.equal(failedReleaseHint('shop', {description: 'Rollback to v5'}), `${output} Fix the release command, then roll back again.`)
    })
  })

  describe('followReleasePhase', () => {
    it("renews a stream the server cannot resume with a session of the phase's dyno without history", async () => {
      const created: unknown[] = []
      const api = {
        dynos: {list: async () => [{type: 'release', name: 'release.3', release: {id: 'r9'}}]},
        logSessions: {create: async (_app: string, body: unknown) => (created.push(body), {logplex_url: `http://logs.test/${created.length}`})},
      }
      const urls: string[] = []
      async function* read(url: string, options: ReadLogStreamOptions): AsyncGenerator<StreamLine> {
        urls.push(url, await (options.renew as () => Promise<string>)())
        yield {line: '2026-11-27T11:15:41.000001+00:00 tug[release.3]: Release v9 succeeded'}
      }
      const release = {id: 'r9', version: 9, created_at: '2026-11-27T11:15:40Z'}
      await followReleasePhase(api as never, 'shop', release, () => undefined, new AbortController().signal, read)
      assert.deepEqual(created, [{dyno: 'release.3', lines: 1500, tail: true}, {dyno: 'release.3', lines: 0, tail: true}])
      assert.deepEqual(urls, ['http://logs.test/1', 'http://logs.test/2'])
    })
  })
})
