// The log router's public surface, for the server's wiring and routes.
export {compileFilter, dynoMatches, filterFromSession, processType, type LineMatcher, type LogFilter, type SessionFilterFields} from './filter.js'
export {CONTINUATION_MARKER, MAX_LINE_BYTES, formatMicros, parseMicros} from './format.js'
export type {LogEntry} from './ring.js'
export {
  DEFAULTS,
  LogRouter,
  NOTICE_DYNO,
  NOTICE_SOURCE,
  type LogInput,
  type LogRouterOptions,
  type PersistOptions,
  type RouterStats,
  type SubscribeOptions,
} from './router.js'
export {StreamSession, type BackpressureTarget, type StreamSessionOptions} from './stream-session.js'
export type {BlockSink, LineSink, LogItem, LogSink, LogSubscription, SubscriptionStats} from './subscription.js'
export {
  chooseFormat,
  FRAMES_HEADERS,
  FRAMES_TYPE,
  headersFor,
  parseLastEventId,
  piecesOfBlocks,
  serialiseBlocks,
  SSE_HEADERS,
  SSE_KEEPALIVE,
  TEXT_HEADERS,
  type StreamFormat,
} from './wire.js'
export type {LogBlock} from './block.js'
