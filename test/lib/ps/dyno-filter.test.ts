import assert from 'node:assert/strict'

import type {Dyno, Formation} from '../../../src/shared/api-types.js'
import {unknownDynoNotice} from '../../../src/lib/ps/dyno-filter.js'
import {dyno, formation} from '../../helpers/fixtures.js'

function fakeApi(dynos: Dyno[], types: Formation[]): Parameters<typeof unknownDynoNotice>[0] {
  return {dynos: {list: async () => dynos}, formation: {list: async () => types}} as unknown as Parameters<typeof unknownDynoNotice>[0]
}

describe('ps/dyno-filter', () => {
  const api = fakeApi([dyno('web.1'), dyno('web.2'), dyno('run.7')], [formation('web', 2), formation('worker', 0), formation('clock', 0)])

  it('says nothing for a dyno, a type, or a one-off type the app has', async () => {
    for (const filter of ['web.1', 'web', 'worker', 'run.7', 'run', 'release']) {
      assert.equal(await unknownDynoNotice(api, 'shop', filter), undefined, filter)
    }
  })

  it('names an unknown type, with the nearest one and the list', async () => {
    assert.equal(await unknownDynoNotice(api, 'shop', 'nosuch.1'), 'No lines: shop has no dyno or process type nosuch.1. Its process types are web, worker, clock.')
    assert.equal(await unknownDynoNotice(api, 'shop', 'wbe'), 'No lines: shop has no dyno or process type wbe. Did you mean web? Its process types are web, worker, clock.')
  })

  it('names the dynos of a known type when the number is wrong', async () => {
    assert.equal(await unknownDynoNotice(api, 'shop', 'web.9'), 'No lines: shop has no dyno web.9; its web dynos are web.1, web.2.')
    assert.equal(await unknownDynoNotice(api, 'shop', 'worker.1'), 'No lines: shop has no dyno worker.1; its worker dynos are none (scaled to 0).')
    assert.equal(await unknownDynoNotice(api, 'shop', 'run.8'), 'No lines: shop has no dyno run.8 now.')
  })
})
