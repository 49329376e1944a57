import assert from 'node:assert/strict'

import {parseProcfile, ProcfileError} from '../../src/shared/procfile.js'

function rejection(text: string): {line: number; message: string} {
  try {
    parseProcfile(text)
  } catch (error) {
    assert.ok(error instanceof ProcfileError, `expected a ProcfileError, got ${String(error)}`)
    assert.ok(error instanceof Error)
    return {line: error.line, message: error.message}
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`)
}

describe('parseProcfile', () => {
  it('reads process types with their line numbers', () => {
    assert.deepEqual(parseProcfile('web: node server.js\nworker: node worker.js\n'), [
      {name: 'web', command: 'node server.js', line: 1},
      {name: 'worker', command: 'node worker.js', line: 2},
    ])
  })

  it('skips blank lines and full-line comments, indented too', () => {
    const text = '# processes\n\n   \n  # indented comment\n\t#tab comment\nweb: bin/web\n\n'
    assert.deepEqual(parseProcfile(text), [{name: 'web', command: 'bin/web', line: 6}])
  })

  it('accepts CRLF line endings', () => {
    assert.deepEqual(parseProcfile('web: npm start\r\nworker: npm run work\r\n'), [
      {name: 'web', command: 'npm start', line: 1},
      {name: 'worker', command: 'npm run work', line: 2},
    ])
  })

  it('accepts spaces around the first colon, and no space at all', () => {
    assert.deepEqual(parseProcfile('web :  node a.js  \nworker:node b.js\nclock\t:\tnode c.js'), [
      {name: 'web', command: 'node a.js', line: 1},
      {name: 'worker', command: 'node b.js', line: 2},
      {name: 'clock', command: 'node c.js', line: 3},
    ])
  })

  it('keeps everything after the first colon verbatim, trimmed at both ends only', () => {
    const text = [
      'worker: bundle exec rake jobs:work',
      'web: node server.js # not a comment',
      'release:   ./bin/migrate  &&  echo "a:b"   ',
      'shell: bash -c \'echo $PORT; exit 0\'',
    ].join('\n')
    assert.deepEqual(parseProcfile(text), [
      {name: 'worker', command: 'bundle exec rake jobs:work', line: 1},
      {name: 'web', command: 'node server.js # not a comment', line: 2},
      {name: 'release', command: './bin/migrate  &&  echo "a:b"', line: 3},
      {name: 'shell', command: 'bash -c \'echo $PORT; exit 0\'', line: 4},
    ])
  })

  it('accepts names with letters, digits, "_" and "-", up to 128 characters', () => {
    const long = 'x'.repeat(128)
    assert.deepEqual(parseProcfile(`web-2_API: a\n${long}: b`), [
      {name: 'web-2_API', command: 'a', line: 1},
      {name: long, command: 'b', line: 2},
    ])
  })

  it('accepts an indented process line', () => {
    assert.deepEqual(parseProcfile('  web: node server.js'), [{name: 'web', command: 'node server.js', line: 1}])
  })

  it('ignores a UTF-8 byte order mark', () => {
    assert.deepEqual(parseProcfile('\uFEFFweb: x'), [{name: 'web', command: 'x', line: 1}])
  })

  it('accepts a file without a final newline', () => {
    assert.deepEqual(parseProcfile('web: x'), [{name: 'web', command: 'x', line: 1}])
  })

  it('rejects a line without a colon, with its number', () => {
    assert.deepEqual(rejection('# web\n\nweb node server.js\n'), {
      line: 3,
      message: 'Procfile line 3: expected "name: command", got "web node server.js"',
    })
  })

  it('rejects a line with nothing before the colon', () => {
    assert.deepEqual(rejection('web: a\n  : b'), {line: 2, message: 'Procfile line 2: expected "name: command", got ": b"'})
  })

  it('shortens a long unmatched line in the message', () => {
    const long = 'y'.repeat(100)
    assert.deepEqual(rejection(long), {line: 1, message: `Procfile line 1: expected "name: command", got "${'y'.repeat(80)}…"`})
  })

  it('rejects an empty command', () => {
    assert.deepEqual(rejection('web: x\nworker:   \r\n'), {line: 2, message: 'Procfile line 2: process type "worker" has an empty command'})
    assert.deepEqual(rejection('web:'), {line: 1, message: 'Procfile line 1: process type "web" has an empty command'})
  })

  it('rejects a duplicate name, naming the first line', () => {
    assert.deepEqual(rejection('web: a\nworker: b\n\nweb : c\n'), {
      line: 4,
      message: 'Procfile line 4: process type "web" is already defined on line 1',
    })
  })

  const badNames: Array<[string, string]> = [
    ['web.1: x', 'web.1'],
    ['my web: x', 'my web'],
    ['wéb: x', 'wéb'],
    ['web/api: x', 'web/api'],
    [`${'n'.repeat(129)}: x`, 'n'.repeat(129)],
  ]
  for (const [text, name] of badNames) {
    it(`rejects the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 20)}…` : name)}`, () => {
      const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name
      assert.deepEqual(rejection(`# first\n${text}`), {
        line: 2,
        message: `Procfile line 2: invalid process type name "${shown}": use letters, digits, "_" and "-", at most 128 characters`,
      })
    })
  }

  it('rejects a file with no process type', () => {
    const expected = {line: 0, message: 'Procfile: no process types are defined (expected lines like "web: node server.js")'}
    assert.deepEqual(rejection(''), expected)
    assert.deepEqual(rejection('# only comments\n\n  \r\n'), expected)
  })

  it('rejects a NUL byte, with its line', () => {
    assert.deepEqual(rejection('web: a\nworker: b\0c\n'), {line: 2, message: 'Procfile line 2: contains a NUL byte; a Procfile is a text file'})
    assert.deepEqual(rejection('# \0\nweb: a'), {line: 1, message: 'Procfile line 1: contains a NUL byte; a Procfile is a text file'})
  })

  it('rejects a file over 1 MiB, and accepts one of exactly 1 MiB', () => {
    const head = 'web: x\n'
    const exact = head + '#'.repeat(1024 * 1024 - head.length)
    assert.deepEqual(parseProcfile(exact), [{name: 'web', command: 'x', line: 1}])
    assert.deepEqual(rejection(`${exact}#`), {
      line: 0,
      message: 'Procfile: the file is too large (1048577 bytes; a Procfile may be at most 1 MiB)',
    })
  })

  it('counts the size in UTF-8 bytes, not characters', () => {
    const text = `web: x\n#${'é'.repeat(524_288)}`
    assert.equal(rejection(text).line, 0)
  })
})
