// Which pushes build (issue 15, item 5): Heroku's rules, as the pre-receive hook's caller decides them.
import assert from 'node:assert/strict'

import {parseRefUpdates, planPush} from '../../src/server/git/push.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const ZERO = '0'.repeat(40)

describe('server/git: planPush', () => {
  it('builds the new commit of main or master, new branch or force push alike', () => {
    assert.deepEqual(planPush(parseRefUpdates(`${ZERO} ${A} refs/heads/main\n`)), {ok: true, branch: 'main', sha: A})
    assert.deepEqual(planPush(parseRefUpdates(`${B} ${A} refs/heads/master\n`)), {ok: true, branch: 'master', sha: A})
  })

  it('refuses another branch or a tag, saying how to push to main', () => {
    const branch = planPush(parseRefUpdates(`${ZERO} ${A} refs/heads/feature\n`))
    assert.deepEqual(branch, {
      ok: false,
      reason: ['Pushed to feature: tug builds and deploys only the main or master branch.', 'Push your branch to main instead: git push tug feature:main'],
    })
    const tag = planPush(parseRefUpdates(`${ZERO} ${A} refs/tags/v1\n`))
    assert.equal(tag.ok, false)
    assert.match(tag.ok ? '' : (tag.reason[0] ?? ''), /^Pushed to refs\/tags\/v1/)
  })

  it('refuses deleting the deployed branch, and main and master at once', () => {
    const deleted = planPush(parseRefUpdates(`${A} ${ZERO} refs/heads/main\n`))
    assert.deepEqual(deleted, {ok: false, reason: ['Deleting main is not allowed: it is the branch tug deploys.']})
    const both = planPush(parseRefUpdates(`${ZERO} ${A} refs/heads/main\n${ZERO} ${B} refs/heads/master\n`))
    assert.equal(both.ok, false)
    assert.equal(planPush([]).ok, false)
  })
})
