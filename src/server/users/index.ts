// Users (issue 17): invitations, the password an invitee sets, removal, and logins with a password.
import {DomainError, invalidParams, notFound} from '../domain/errors.js'
import {hashPassword, passwordProblem, verifyPassword} from '../domain/passwords.js'
import {isUuid, type AccountRecord, type InvitationRecord, type Store} from '../store/index.js'
import {LoginThrottle} from './login-throttle.js'

export {LoginThrottle, DEFAULT_THROTTLE, type ThrottleLimits} from './login-throttle.js'

const EMAIL = /^[^\s@]+@[^\s@]+$/
export const WRONG_LOGIN = 'Wrong email or password. An invited user sets a password with tug login URL --invite CODE first.'

export const userNotFound = (): DomainError => notFound('user', "Couldn't find that user.")

/** Refused before the password was checked. */
export class LoginThrottled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed logins; wait ${retryAfterSeconds} seconds.`)
  }
}

export class LoginFailed extends Error {
  constructor() {
    super(WRONG_LOGIN)
  }
}

export function normalEmail(value: unknown): string {
  if (typeof value !== 'string' || !EMAIL.test(value.trim()) || value.length > 254) throw invalidParams('email must be an email address, such as dev@example.com.')
  return value.trim().toLowerCase()
}

export function userState(account: AccountRecord): 'invited' | 'active' {
  return account.activated_at === null ? 'invited' : 'active'
}

/** A user by id or email, removed users excepted. */
export function findUser(store: Store, identity: string): AccountRecord | undefined {
  const account = isUuid(identity) ? store.accounts.get(identity.toLowerCase()) : store.accounts.findByEmail(identity.trim())
  return account && account.removed_at === null ? account : undefined
}

export class Users {
  /** A hash to check against when the email is unknown, so that the answer takes as long. */
  private decoy: Promise<string> | undefined

  constructor(private readonly store: Store, readonly throttle: LoginThrottle) {}

  invite(rawEmail: unknown): {account: AccountRecord; invitation: InvitationRecord; code: string} {
    const email = normalEmail(rawEmail)
    return this.store.transaction(() => {
      const existing = this.store.accounts.findByEmail(email)
      if (existing && existing.removed_at === null && existing.activated_at !== null) throw invalidParams(`${email} is already a user.`)
      const account = existing?.removed_at ? (this.store.accounts.reinvite(existing.id) as AccountRecord) : existing ?? this.store.accounts.create({email, invited: true})
      const {invitation, code} = this.store.invitations.create(account.id, email)
      return {account, invitation, code}
    })
  }

  async accept(body: Record<string, unknown>): Promise<AccountRecord> {
    const code = typeof body.code === 'string' ? body.code.trim() : ''
    if (code === '') throw invalidParams('code is required: the one-time code of the invitation (tug users:invite prints it).')
    const problem = passwordProblem(body.password)
    if (problem) throw invalidParams(problem)
    const invitation = this.store.invitations.findByCode(code)
    const gone = 'This invitation code is not valid: it was used already, has expired (after 7 days) or was mistyped. Ask the admin for a new one (tug users:invite EMAIL).'
    if (!invitation || invitation.used_at !== null || Date.parse(invitation.expires_at) <= this.store.clock().getTime()) throw invalidParams(gone)
    const hash = await hashPassword(body.password as string)
    return this.store.transaction(() => {
      // Two accepts of one code racing: only the first marks it used.
      if (!this.store.invitations.use(invitation.id)) throw invalidParams(gone)
      this.store.accounts.activate(invitation.account_id, hash)
      return this.store.accounts.get(invitation.account_id) as AccountRecord
    })
  }

  /** Removes a user: its tokens, invitations, team memberships and collaborations go; its apps go to `admin`. */
  remove(identity: string, admin: AccountRecord): {account: AccountRecord; apps: string[]} {
    return this.store.transaction(() => {
      const account = findUser(this.store, identity)
      if (!account) throw userNotFound()
      if (account.id === admin.id) throw invalidParams('You cannot remove yourself: another admin has to.')
      this.store.tokens.revokeAll(account.id)
      this.store.invitations.cancelAll(account.id)
      this.store.teams.removeAccount(account.id)
      const apps = this.store.apps.transferAll(account.id, admin.id)
      this.store.accounts.remove(account.id)
      return {account: this.store.accounts.get(account.id) as AccountRecord, apps}
    })
  }

  /**
   * The account whose email and password these are. Throws LoginThrottled without checking the
   * password when the email or the address failed too often, LoginFailed (same words whether the
   * email exists or not) when they do not match.
   */
  async login(email: string, password: string, address: string): Promise<AccountRecord> {
    const wait = this.throttle.refusal(email, address)
    if (wait !== undefined) throw new LoginThrottled(wait)
    const account = findUser(this.store, email)
    const stored = account ? this.store.accounts.passwordHash(account.id) : null
    this.decoy ??= hashPassword('a password nobody has')
    const matches = await verifyPassword(password, stored ?? (await this.decoy))
    if (!account || stored === null || !matches) {
      this.throttle.failed(email, address)
      throw new LoginFailed()
    }
    this.store.accounts.touchLogin(account.id)
    return account
  }
}
