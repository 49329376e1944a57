// The argument, flag and help text that buildpacks:set, :add and :remove share.
import {Args, Flags} from '@oclif/core'

/** What a buildpack may be, for the commands' help. */
export const BUILDPACK_FORMS =
  "A buildpack is heroku/nodejs or heroku/python (built in), a directory on the control plane's machine (/path or file:///path), an https:// tarball, or a git URL (https://host/x.git, git@host:x.git, with an optional #branch, tag or commit). It is fetched when a build runs."

const BUILDPACK_ARG = 'URL, path or name of the buildpack'
export const buildpackArg = Args.string({description: BUILDPACK_ARG, required: true})
export const optionalBuildpackArg = Args.string({description: BUILDPACK_ARG})

export const indexFlag = (description: string) => Flags.integer({char: 'i', description, helpValue: 'INDEX'})
