// Heroku's router error codes that tug's router produces, and the short page a client sees.

export type RouterErrorCode = 'H10' | 'H12' | 'H13' | 'H14' | 'H27'

export const ROUTER_ERRORS: Record<RouterErrorCode, {desc: string; status: number}> = {
  H10: {desc: 'App crashed', status: 503},
  H12: {desc: 'Request timeout', status: 503},
  H13: {desc: 'Connection closed without response', status: 503},
  H14: {desc: 'No web processes running', status: 503},
  // The client went away before the answer was complete; nothing is sent, the log says 499.
  H27: {desc: 'Client Request Interrupted', status: 499},
}

function page(title: string, text: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1><p>${text}</p></body></html>\n`
}

export function errorPage(code: RouterErrorCode, requestId: string): string {
  return page('Application error', `An error occurred in the application and your page could not be served (${code}). Request ID: ${requestId}`)
}

export function noSuchAppPage(): string {
  return page('No such app', 'There is no app configured at that hostname.')
}

/** A request the router will not forward (two Host headers, a request-target of no known form). */
export function badRequestPage(reason: string): string {
  return page('Bad request', `The router cannot forward this request: ${reason}.`)
}
