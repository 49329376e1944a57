// `tug users` and `users:invite` layouts.
import type {User, UserInvitation} from '../../shared/api-types.js'
import {formatTime} from '../cli/ago.js'
import {table} from '../cli/table.js'

export function formatUsers(users: User[]): string[] {
  const sorted = [...users].sort((a, b) => a.email.localeCompare(b.email))
  return table([['Email', 'State', 'Role', 'Since'], ...sorted.map((u) => [u.email, u.state, u.admin ? 'admin' : 'user', formatTime(u.created_at)])])
}

/** The exact command the invitee runs: the URL this CLI talks to, which is theirs too. */
export function inviteCommand(url: string, invitation: Pick<UserInvitation, 'code'>): string {
  return `tug login ${url} --invite ${invitation.code}`
}

export function formatInvitation(url: string, invitation: UserInvitation): string[] {
  return [
    `Invited ${invitation.email}. Send them this command (it works once, until ${formatTime(invitation.expires_at)}):`,
    '',
    `  ${inviteCommand(url, invitation)}`,
    '',
    'It asks them for a new password, then logs them in. They see no app until you give them access (tug access:add EMAIL -a APP, or tug members:add EMAIL -t TEAM --role member).',
  ]
}
