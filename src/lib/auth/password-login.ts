// `tug login` with an email and a password, as Heroku's `heroku login -i`: the password buys a
// token through POST /oauth/authorizations (Basic auth), and the token is saved exactly as a
// pasted one is (login.ts). An invitation code first sets the password.
import type {ApiClient} from '../api/client.js'
import type {Credentials} from '../api/resources/authorizations.js'
import {ApiError, UsageError} from '../errors.js'
import {login, type LoginInput, type LoginResult} from './login.js'

/** How `tug login` gets its credential, decided before anything is asked or sent. */
export type LoginMethod =
  | {kind: 'token'; token: string}
  | {kind: 'stdin-token'}
  | {kind: 'password'; email?: string; password?: string}
  | {kind: 'invite'; code: string; password?: string}

export interface LoginChoice {
  token?: string
  email?: string
  invite?: string
  /** TUG_PASSWORD: scripts give the password there rather than on a command line. */
  password?: string
  interactive: boolean
}

const SCRIPT_HINT = 'In a script, pass --token TOKEN (or pipe the token on stdin), set TUG_API_URL and TUG_API_KEY, or pass --email EMAIL with the password in TUG_PASSWORD.'

export function chooseLoginMethod(choice: LoginChoice): LoginMethod {
  const password = choice.password === '' ? undefined : choice.password
  if (choice.token !== undefined) {
    if (choice.email !== undefined || choice.invite !== undefined) throw new UsageError('--token cannot be combined with --email or --invite.', {hint: 'A token logs in by itself; an email and a password get a new token.'})
    return {kind: 'token', token: choice.token}
  }
  if (choice.invite !== undefined) {
    if (choice.invite.trim() === '') throw new UsageError('The invitation code is empty.', {hint: 'Pass the code `tug users:invite` printed: tug login URL --invite CODE.'})
    if (password === undefined && !choice.interactive) {
      throw new UsageError('Accepting an invitation needs a new password, and stdin is not a terminal to ask for it.', {hint: 'Run the command in a terminal, or give the new password in TUG_PASSWORD.'})
    }
    return {kind: 'invite', code: choice.invite.trim(), password}
  }
  if (choice.email !== undefined || password !== undefined) {
    if (choice.email === undefined && !choice.interactive) throw new UsageError('TUG_PASSWORD is set but no email was given.', {hint: 'Pass --email EMAIL.'})
    if (password === undefined && !choice.interactive) throw new UsageError('No password: stdin is not a terminal to ask for it.', {hint: 'Give the password in TUG_PASSWORD, or run the command in a terminal.'})
    return {kind: 'password', email: choice.email, password}
  }
  return choice.interactive ? {kind: 'password'} : {kind: 'stdin-token'}
}

export function scriptHint(): string {
  return SCRIPT_HINT
}

/** What the token made by a password login is called in `tug authorizations`. */
export function cliDescription(hostname: string): string {
  return `tug CLI on ${hostname}`
}

export interface PasswordLoginInput extends Omit<LoginInput, 'token' | 'authorization'> {
  credentials: Credentials
  hostname: string
  /** A client that sends no token: the password is the credential. */
  anonymousClient(url: string): Promise<Pick<ApiClient, 'authorizations' | 'users'>>
}

export async function passwordLogin(input: PasswordLoginInput): Promise<LoginResult> {
  const email = input.credentials.email.trim()
  if (email === '') throw new UsageError('No email given.', {hint: 'Pass --email EMAIL, or type it at the prompt.'})
  if (input.credentials.password === '') throw new UsageError('No password given.')
  const client = await input.anonymousClient(input.url)
  let authorization
  try {
    authorization = await client.authorizations.create({description: cliDescription(input.hostname), scope: ['global']}, {email, password: input.credentials.password})
  } catch (error) {
    throw withLoginHint(error)
  }
  const token = authorization.access_token?.token
  if (!token) throw new ApiError({status: 201, id: 'invalid_response', message: 'The control plane made an authorization but sent no token with it.'})
  return login({url: input.url, token, env: input.env, makeClient: input.makeClient, authorization: authorization.id})
}

export interface AcceptInviteInput {
  url: string
  code: string
  password: string
  anonymousClient(url: string): Promise<Pick<ApiClient, 'users'>>
}

/** Sets the invited user's password; answers the email to log in with. */
export async function acceptInvitation(input: AcceptInviteInput): Promise<string> {
  const client = await input.anonymousClient(input.url)
  return (await client.users.accept({code: input.code, password: input.password})).email
}

function withLoginHint(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error
  if (error.status === 401) {
    // tug's own message already says how an invited user starts; another server's may not.
    const check = 'Check the email and the password. The admin has no password: it logs in with its token (tug login URL --token TOKEN).'
    const hint = error.message.includes('--invite') ? check : `${check} An invited user sets a password first: tug login URL --invite CODE.`
    return new ApiError({...error, message: error.message, hint})
  }
  if (error.status === 429) return new ApiError({...error, message: error.message, hint: 'Wait, then try again; or log in with a token: tug login URL --token TOKEN.'})
  return error
}
