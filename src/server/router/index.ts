// The HTTP router of issue 7: one listener, `<app>.localhost` (and `<app>.<domain>`) to the app's web dynos.
export {Balancer, endpointKey} from './balancer.js'
export type {AppResolver, RoutedApp, WebDyno, WebDynoDirectory} from './directory.js'
export {errorPage, noSuchAppPage, ROUTER_ERRORS, type RouterErrorCode} from './errors.js'
export {clientAddress, requestHeadersForDyno, requestId, responseHeadersForClient, stripHopByHop, type ForwardContext} from './headers.js'
export {appFromHost, hostname, LOCALHOST_DOMAIN, normaliseDomain} from './host.js'
export {formatRouterLine, type RouterLogFields} from './log-line.js'
export {DEFAULT_ROUTER_HOST, DEFAULT_ROUTER_PORT, HttpRouter, type RouterOptions} from './router.js'
export {DRAIN_TIMEOUT_MS, directoryFor, startAppRouter, type AppRouterOptions, type LogWrite, type RunningRouter, type RuntimeWebDirectory} from './wiring.js'
