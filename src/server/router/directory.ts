// What the router needs from the runtime: the web dynos of an app, where they listen and in what
// state. Coded against this interface so that the router does not depend on how dynos run (local
// processes now, pods later); the runtime implements it.

export interface WebDyno {
  /** `web.1`, `web.2`, ... */
  name: string
  host: string
  port: number
  /** `starting`, `up`, `crashed`, `down`: only `up` dynos get requests. */
  state: string
}

export interface WebDynoDirectory {
  /** The app's web dynos (formation dynos of type `web`), by app name. Empty when none runs. */
  list(appName: string): WebDyno[]
}

/** An app the router knows: `id` for the log, `name` for the directory. */
export interface RoutedApp {
  id: string
  name: string
}

/** Looks an app up by name; undefined answers 404 ("no such app"). */
export type AppResolver = (name: string) => RoutedApp | undefined
