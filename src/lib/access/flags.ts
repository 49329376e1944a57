import {Flags} from '@oclif/core'

/** `-t/--team`, for the members commands. */
export const teamFlag = Flags.string({char: 't', description: 'the team', required: true, helpValue: 'TEAM'})
