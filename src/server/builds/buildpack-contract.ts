// The seam between the build step (builds/buildpack-runner.ts, which runs buildpacks over a
// source) and where buildpacks come from (builds/buildpack-resolver.ts: the built-in ones that ship
// with tug, a local directory, a file:// path, an https:// tarball, a git URL). Issue 15.

/** A buildpack ready to run: what the user named it, and the directory that holds its bin/. */
export interface ResolvedBuildpack {
  /** As the user gave it (`heroku/nodejs`, `https://.../buildpack.tgz`, `/srv/buildpacks/go`). */
  url: string
  /** What the build output calls it (`heroku/nodejs`, or the URL). */
  name: string
  /** A directory with bin/detect, bin/compile and bin/release; read-only to the build. */
  dir: string
}

export interface BuildpackResolver {
  /** The built-in buildpacks, in detection order: what a build runs when none is set. */
  builtins(): ResolvedBuildpack[]
  /**
   * Fetches (or finds in its cache) every buildpack of `urls`, in order; `say` gets progress lines
   * for the build's output. Throws an Error whose message says which one failed and why.
   */
  resolve(urls: readonly string[], say: (line: string) => void): Promise<ResolvedBuildpack[]>
}
