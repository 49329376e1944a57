// The builds service's public surface. The HTTP layer makes one BuildService per built app and
// hands it to both the sources and the builds routes (live build output lives in it).
export {BuildService, type BuildServiceDeps, type BuildServiceOptions} from './service.js'
export {appFiles, DEFAULT_KEEP_RELEASES, pruneReleaseCode, removeAppFiles} from './disk.js'
