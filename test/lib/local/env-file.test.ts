import assert from 'node:assert/strict'

import {EnvFileError, parseEnvFile} from '../../../src/lib/local/env-file.js'

function failsOn(text: string, line: number, message: RegExp): void {
  assert.throws(
    () => parseEnvFile(text),
    (error: unknown) => error instanceof EnvFileError && error.line === line && message.test(error.message) && error.message.startsWith(`line ${line}: `),
  )
}

describe('parseEnvFile', () => {
  it('reads KEY=value lines, skipping blank lines and comments', () => {
    assert.deepEqual(parseEnvFile('# a comment\n\nA=1\n   # indented comment\nB=two words\n'), {A: '1', B: 'two words'})
  })

  it('takes an empty value, and the rest of the line after the first =', () => {
    assert.deepEqual(parseEnvFile('EMPTY=\nURL=postgres://u:p@h/db?x=1&y=2\n'), {EMPTY: '', URL: 'postgres://u:p@h/db?x=1&y=2'})
  })

  it('accepts an export prefix and spaces around the =', () => {
    assert.deepEqual(parseEnvFile('export A=1\n  export   B = 2  \nexportC=3\n'), {A: '1', B: '2', exportC: '3'})
  })

  it('ends an unquoted value at a # after whitespace, and keeps a # inside a word', () => {
    assert.deepEqual(parseEnvFile('A=1 # the first\nB=http://x/#frag\nC=a\t# tab before\n'), {A: '1', B: 'http://x/#frag', C: 'a'})
  })

  it('takes single-quoted values as written, without escapes or comments', () => {
    assert.deepEqual(parseEnvFile(`A='a \\n b # not a comment'\nB='say "hi"'\n`), {A: 'a \\n b # not a comment', B: 'say "hi"'})
  })

  it('unescapes \\n, \\r, \\t, \\" and \\\\ in double quotes, and any other \\x to x', () => {
    assert.deepEqual(parseEnvFile('A="line1\\nline2"\nB="tab\\there \\"quoted\\" back\\\\slash \\$HOME"\nC="cr\\r"\n'), {
      A: 'line1\nline2',
      B: 'tab\there "quoted" back\\slash $HOME',
      C: 'cr\r',
    })
  })

  it('keeps a # inside quotes, and allows a comment after the closing quote', () => {
    assert.deepEqual(parseEnvFile(`A="x # y" # comment\nB='p#q'   \n`), {A: 'x # y', B: 'p#q'})
  })

  it('reads a quoted value over several lines, newlines included, and numbers the lines after it right', () => {
    const text = 'KEY="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nSINGLE=\'one\n  two\'\nNEXT=1\noops\n'
    failsOn(text, 7, /expected KEY=value, got "oops"/)
    assert.deepEqual(parseEnvFile(text.replace('oops\n', '')), {KEY: '-----BEGIN KEY-----\nabc\n-----END KEY-----', SINGLE: 'one\n  two', NEXT: '1'})
  })

  it('reads CRLF files and a byte order mark', () => {
    assert.deepEqual(parseEnvFile('\uFEFFA=1\r\nB="x\r\ny"\r\n'), {A: '1', B: 'x\ny'})
  })

  it('lets a later line win over an earlier one', () => {
    assert.deepEqual(parseEnvFile('A=1\nA=2\n'), {A: '2'})
  })

  it('does not expand $VARS, as Foreman does not', () => {
    assert.deepEqual(parseEnvFile('A=$HOME/x\nB="${A}"\n'), {A: '$HOME/x', B: '${A}'})
  })

  it('names the line of a line without =', () => {
    failsOn('A=1\njust words\n', 2, /expected KEY=value, got "just words"/)
    failsOn('A=1\n\n\nexport B\n', 4, /an `export NAME` line needs a value/)
    failsOn('=value\n', 1, /expected KEY=value/)
  })

  it('names the line of an invalid variable name', () => {
    failsOn('A=1\n1ABC=2\n', 2, /invalid variable name "1ABC"/)
    failsOn('MY-VAR=2\n', 1, /invalid variable name "MY-VAR"/)
    failsOn('A.B=2\n', 1, /invalid variable name "A.B"/)
  })

  it('names the line where an unclosed quote opens', () => {
    failsOn('A=1\nB="never closed\nC=3\n', 2, /the " that opens this value is never closed/)
    failsOn("A='x\n", 1, /the ' that opens this value is never closed/)
  })

  it('refuses text after a closing quote', () => {
    failsOn('A=1\nB="x"y\n', 2, /unexpected "y" after the closing "/)
    failsOn("B='x' 'y'\n", 1, /unexpected "'y'" after the closing '/)
  })

  it('refuses a NUL byte, naming its line', () => {
    failsOn('A=1\nB=\0\n', 2, /NUL byte/)
  })

  it('reads an empty file as no variables', () => {
    assert.deepEqual(parseEnvFile(''), {})
    assert.deepEqual(parseEnvFile('\n# only a comment\n'), {})
  })
})
