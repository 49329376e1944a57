import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseNetrc, readNetrcEntry, removeNetrcEntry, writeNetrcEntry} from '../../../src/lib/cli/netrc.js'

const HEROKU = `machine api.heroku.com
  login you@example.com
  password 11111111-2222-3333-4444-555555555555
machine git.heroku.com
  login you@example.com
  password 11111111-2222-3333-4444-555555555555
`

describe('netrc', () => {
  describe('parseNetrc', () => {
    it("reads Heroku's multi-line entries", () => {
      assert.deepEqual(parseNetrc(HEROKU), [
        {machine: 'api.heroku.com', login: 'you@example.com', password: '11111111-2222-3333-4444-555555555555'},
        {machine: 'git.heroku.com', login: 'you@example.com', password: '11111111-2222-3333-4444-555555555555'},
      ])
    })

    it('reads one-line entries and tokens separated by any whitespace', () => {
      const text = 'machine a.example login u1 password p1\nmachine\tb.example:5055\r\n\tlogin  u2\t\tpassword p2 account acct'
      assert.deepEqual(parseNetrc(text), [
        {machine: 'a.example', login: 'u1', password: 'p1'},
        {machine: 'b.example:5055', login: 'u2', password: 'p2', account: 'acct'},
      ])
    })

    it('reads several entries on one line', () => {
      assert.deepEqual(parseNetrc('machine a login x password y machine b login z password w'), [
        {machine: 'a', login: 'x', password: 'y'},
        {machine: 'b', login: 'z', password: 'w'},
      ])
    })

    it('skips comments, whole-line and trailing', () => {
      const text = '# my credentials\nmachine a # the work one\n  login x # me\n  # password old\n  password y\n'
      assert.deepEqual(parseNetrc(text), [{machine: 'a', login: 'x', password: 'y'}])
    })

    it('reads the default entry', () => {
      assert.deepEqual(parseNetrc('machine a login x password y\ndefault login anonymous password me@example.com\n'), [
        {machine: 'a', login: 'x', password: 'y'},
        {machine: '', default: true, login: 'anonymous', password: 'me@example.com'},
      ])
    })

    it('skips macro bodies up to the first empty line', () => {
      const text = [
        'machine ftp.example login x password y',
        'macdef init',
        'login notatoken',
        'machine notamachine',
        '',
        'machine b login z password w',
      ].join('\n')
      assert.deepEqual(parseNetrc(text), [
        {machine: 'ftp.example', login: 'x', password: 'y'},
        {machine: 'b', login: 'z', password: 'w'},
      ])
    })

    it('reads quoted values with escapes', () => {
      assert.deepEqual(parseNetrc('machine a login "my user" password "p\\"w#d"'), [{machine: 'a', login: 'my user', password: 'p"w#d'}])
    })

    it('is lenient with what it cannot read', () => {
      assert.deepEqual(parseNetrc(''), [])
      assert.deepEqual(parseNetrc('login orphan password nobody\nmachine a port 443 login x password'), [{machine: 'a', login: 'x'}])
    })

    it('keeps the first value when a field repeats', () => {
      assert.deepEqual(parseNetrc('machine a password one password two'), [{machine: 'a', password: 'one'}])
    })
  })

  describe('files', () => {
    let dir: string
    let file: string

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tug-netrc-'))
      file = join(dir, '.netrc')
    })

    afterEach(() => {
      rmSync(dir, {recursive: true, force: true})
    })

    function mode(path: string): number {
      return statSync(path).mode & 0o777
    }

    it('reads one machine, port included, and nothing for a missing file or machine', () => {
      writeFileSync(file, `${HEROKU}machine 127.0.0.1:5055 login admin password tok\n`)
      assert.deepEqual(readNetrcEntry(file, '127.0.0.1:5055'), {machine: '127.0.0.1:5055', login: 'admin', password: 'tok'})
      assert.equal(readNetrcEntry(file, '127.0.0.1'), undefined)
      assert.equal(readNetrcEntry(join(dir, 'missing'), 'a'), undefined)
    })

    it('never answers with the default entry', () => {
      writeFileSync(file, 'default login anonymous password secret\n')
      assert.equal(readNetrcEntry(file, 'tug.example'), undefined)
    })

    it('creates the file with mode 0600', () => {
      writeNetrcEntry(file, {machine: 'localhost:5055', login: 'me@example.com', password: 'tok1'})
      assert.equal(readFileSync(file, 'utf8'), 'machine localhost:5055\n  login me@example.com\n  password tok1\n')
      assert.equal(mode(file), 0o600)
    })

    it("adds a machine and leaves Heroku's entries byte for byte", () => {
      writeFileSync(file, HEROKU, {mode: 0o644})
      writeNetrcEntry(file, {machine: 'tug.example.com', login: 'me@example.com', password: 'tok1'})
      assert.equal(readFileSync(file, 'utf8'), `${HEROKU}machine tug.example.com\n  login me@example.com\n  password tok1\n`)
      assert.equal(mode(file), 0o600)
      assert.deepEqual(readNetrcEntry(file, 'api.heroku.com'), parseNetrc(HEROKU)[0])
    })

    it('adds a newline first when the file does not end with one', () => {
      writeFileSync(file, 'machine a login x password y')
      writeNetrcEntry(file, {machine: 'b', login: 'u', password: 'p'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a login x password y\nmachine b\n  login u\n  password p\n')
    })

    it('closes a macro left open at the end of the file before adding a machine', () => {
      writeFileSync(file, 'machine a login x\nmacdef init\ncd /pub\n')
      writeNetrcEntry(file, {machine: 'b', password: 'p'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a login x\nmacdef init\ncd /pub\n\nmachine b\n  password p\n')
      assert.equal(readNetrcEntry(file, 'b')?.password, 'p')
    })

    it('adds a machine before the default entry', () => {
      writeFileSync(file, '# mine\nmachine a login x password y\n\ndefault login anonymous password me\n')
      writeNetrcEntry(file, {machine: 'b', login: 'u', password: 'p'})
      assert.equal(readFileSync(file, 'utf8'), '# mine\nmachine a login x password y\n\nmachine b\n  login u\n  password p\ndefault login anonymous password me\n')
    })

    it('updates a multi-line entry in place, keeping comments and layout', () => {
      const before = `# work\n${HEROKU}machine tug.example\n    login old@example.com # old\n    password oldtok\n# end\n`
      writeFileSync(file, before)
      writeNetrcEntry(file, {machine: 'tug.example', login: 'new@example.com', password: 'newtok'})
      assert.equal(readFileSync(file, 'utf8'), `# work\n${HEROKU}machine tug.example\n    login new@example.com # old\n    password newtok\n# end\n`)
    })

    it('updates a one-line entry in place', () => {
      writeFileSync(file, 'machine a login x password y\nmachine b login z password w\n')
      writeNetrcEntry(file, {machine: 'a', login: 'x2', password: 'y2'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a login x2 password y2\nmachine b login z password w\n')
    })

    it('adds a missing field in the style of the entry', () => {
      writeFileSync(file, 'machine a login x\nmachine b\n  login z\nmachine c\n')
      writeNetrcEntry(file, {machine: 'a', password: 'p1'})
      writeNetrcEntry(file, {machine: 'b', password: 'p2'})
      writeNetrcEntry(file, {machine: 'c', login: 'l3', password: 'p3'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a login x password p1\nmachine b\n  login z\n  password p2\nmachine c login l3 password p3\n')
    })

    it('leaves fields it is not given, and the macros of the entry', () => {
      writeFileSync(file, 'machine a\n  login x\n  account acct\n  password y\nmacdef init\ncd /pub\n\nmachine b login z\n')
      writeNetrcEntry(file, {machine: 'a', password: 'y2'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a\n  login x\n  account acct\n  password y2\nmacdef init\ncd /pub\n\nmachine b login z\n')
    })

    it('updates only the first of duplicate entries', () => {
      writeFileSync(file, 'machine a password one\nmachine a password two\n')
      writeNetrcEntry(file, {machine: 'a', password: 'three'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a password three\nmachine a password two\n')
      assert.equal(readNetrcEntry(file, 'a')?.password, 'three')
    })

    it('quotes values that would not read back as one token', () => {
      writeNetrcEntry(file, {machine: 'a', login: 'my user', password: '#p"w'})
      assert.equal(readFileSync(file, 'utf8'), 'machine a\n  login "my user"\n  password "#p\\"w"\n')
      assert.deepEqual(readNetrcEntry(file, 'a'), {machine: 'a', login: 'my user', password: '#p"w'})
    })

    it('refuses values that would break the file', () => {
      assert.throws(() => writeNetrcEntry(file, {machine: 'a', password: 'x\nmachine evil'}), /on one line/)
      assert.throws(() => writeNetrcEntry(file, {machine: ''}), /machine name is required/)
      assert.throws(() => writeNetrcEntry(file, {machine: 'a', login: ''}), /non-empty/)
    })

    it('tightens the mode of an existing file to 0600 and leaves no temporary file', () => {
      writeFileSync(file, HEROKU)
      chmodSync(file, 0o664)
      writeNetrcEntry(file, {machine: 'api.heroku.com', password: 'rotated'})
      assert.equal(mode(file), 0o600)
      assert.deepEqual(readdirSync(dir), ['.netrc'])
      assert.equal(readNetrcEntry(file, 'api.heroku.com')?.password, 'rotated')
      assert.equal(readNetrcEntry(file, 'git.heroku.com')?.password, '11111111-2222-3333-4444-555555555555')
    })

    it('writes through a symlinked netrc, keeping the link', () => {
      const real = join(dir, 'dotfiles-netrc')
      writeFileSync(real, HEROKU)
      symlinkSync(real, file)
      writeNetrcEntry(file, {machine: 'b', password: 'p'})
      assert.equal(readFileSync(real, 'utf8'), `${HEROKU}machine b\n  password p\n`)
      assert.ok(statSync(file).isFile())
      assert.equal(readFileSync(file, 'utf8'), readFileSync(real, 'utf8'))
    })

    it('creates missing parent directories', () => {
      const nested = join(dir, 'a', 'b', 'netrc')
      writeNetrcEntry(nested, {machine: 'x', password: 'y'})
      assert.equal(readNetrcEntry(nested, 'x')?.password, 'y')
    })

    describe('removeNetrcEntry', () => {
      it("removes a multi-line entry and leaves Heroku's alone", () => {
        writeFileSync(file, `${HEROKU}machine tug.example\n  login me\n  password tok\n# trailing comment\n`)
        assert.equal(removeNetrcEntry(file, 'tug.example'), true)
        assert.equal(readFileSync(file, 'utf8'), `${HEROKU}# trailing comment\n`)
        assert.equal(mode(file), 0o600)
      })

      it('removes an entry in the middle, with its trailing comment', () => {
        writeFileSync(file, `machine a login x password y\nmachine tug.example login me password tok # tug\n# about b\nmachine b login z password w\n`)
        assert.equal(removeNetrcEntry(file, 'tug.example'), true)
        assert.equal(readFileSync(file, 'utf8'), 'machine a login x password y\n# about b\nmachine b login z password w\n')
      })

      it('removes entries that share a line with others', () => {
        writeFileSync(file, 'machine a login x machine b login y machine c login z\n')
        assert.equal(removeNetrcEntry(file, 'b'), true)
        assert.equal(readFileSync(file, 'utf8'), 'machine a login x machine c login z\n')
        assert.equal(removeNetrcEntry(file, 'c'), true)
        assert.equal(readFileSync(file, 'utf8'), 'machine a login x\n')
        assert.equal(removeNetrcEntry(file, 'a'), true)
        assert.equal(readFileSync(file, 'utf8'), '')
      })

      it('removes every duplicate and the macros of the entry', () => {
        writeFileSync(file, 'machine a password 1\nmacdef init\ncd /\n\nmachine b password 2\nmachine a password 3\n')
        assert.equal(removeNetrcEntry(file, 'a'), true)
        assert.equal(readFileSync(file, 'utf8'), 'machine b password 2\n')
        assert.deepEqual(parseNetrc(readFileSync(file, 'utf8')), [{machine: 'b', password: '2'}])
      })

      it('returns false and leaves the file alone when there is no such machine', () => {
        writeFileSync(file, HEROKU, {mode: 0o644})
        chmodSync(file, 0o644)
        assert.equal(removeNetrcEntry(file, 'tug.example'), false)
        assert.equal(readFileSync(file, 'utf8'), HEROKU)
        assert.equal(mode(file), 0o644)
        assert.equal(removeNetrcEntry(join(dir, 'missing'), 'a'), false)
      })
    })
  })
})
