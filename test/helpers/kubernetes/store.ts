// The fake API server's storage: objects by kind/namespace/name, one global resourceVersion
// counter (as etcd's revision), the event history that watches resume from, and compaction.
import {randomUUID} from 'node:crypto'
import {apiVersionOf, resourceByKind, type ResourceType} from './resources.js'
import type {KubeObject} from './types.js'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

interface HistoryEvent {
  type: EventType
  object: KubeObject
  old?: KubeObject
  rv: number
}

export interface WatchSink {
  event(type: EventType | 'BOOKMARK' | 'ERROR', object: unknown): void
  close(): void
}

interface Watcher {
  type: ResourceType
  namespace?: string
  matches: (object: KubeObject) => boolean
  sink: WatchSink
}

/** Called after every change, in order; controllers and the kubelet subscribe. */
export type ChangeListener = (type: EventType, object: KubeObject, old: KubeObject | undefined) => void

/** Events kept for resuming watches; older ones are compacted away (a resume from before gets 410). */
const HISTORY_LIMIT = 20_000

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`
}

export function clone<T>(value: T): T {
  return structuredClone(value)
}

export class Store {
  private readonly objects = new Map<string, KubeObject>()
  private revision = 1
  private history: HistoryEvent[] = []
  private compactedRevision = 0
  private readonly watchers = new Set<Watcher>()
  private readonly listeners: ChangeListener[] = []

  get resourceVersion(): string {
    return String(this.revision)
  }

  get compactedResourceVersion(): number {
    return this.compactedRevision
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener)
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.objects.get(key(kind, namespace, name))
    return object ? clone(object) : undefined
  }

  list(kind: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = []
    for (const object of this.objects.values()) {
      if (object.kind === kind && (namespace === undefined || object.metadata.namespace === namespace)) out.push(clone(object))
    }
    return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
  }

  /** Stores a new object: fills uid, creationTimestamp, resourceVersion, generation. Throws if it exists. */
  create(input: KubeObject): KubeObject {
    const type = resourceByKind(input.kind)
    const object = clone(input)
    object.apiVersion = apiVersionOf(type)
    const name = object.metadata.name as string
    const id = key(object.kind, object.metadata.namespace, name)
    if (this.objects.has(id)) throw new Error(`${id} exists`)
    object.metadata.uid ??= randomUUID()
    object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    if (object.spec !== undefined && object.kind !== 'Pod') object.metadata.generation = 1
    return this.commit('ADDED', object, undefined)
  }

  /** Replaces a stored object (the caller has checked it exists); bumps resourceVersion. */
  update(object: KubeObject): KubeObject {
    const old = this.objects.get(key(object.kind, object.metadata.namespace, object.metadata.name as string))
    if (!old) throw new Error(`${object.kind} ${object.metadata.name} does not exist`)
    return this.commit('MODIFIED', clone(object), old)
  }

  remove(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const old = this.objects.get(key(kind, namespace, name))
    if (!old) return undefined
    return this.commit('DELETED', clone(old), old)
  }

  private commit(type: EventType, object: KubeObject, old: KubeObject | undefined): KubeObject {
    this.revision++
    object.metadata.resourceVersion = String(this.revision)
    const id = key(object.kind, object.metadata.namespace, object.metadata.name as string)
    if (type === 'DELETED') this.objects.delete(id)
    else this.objects.set(id, object)
    const event: HistoryEvent = {type, object: clone(object), old: old ? clone(old) : undefined, rv: this.revision}
    this.history.push(event)
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT)
      this.compactedRevision = dropped[dropped.length - 1]?.rv ?? this.compactedRevision
    }
    for (const watcher of this.watchers) this.deliver(watcher, event)
    for (const listener of this.listeners) listener(type, clone(object), old ? clone(old) : undefined)
    return clone(object)
  }

  private deliver(watcher: Watcher, event: HistoryEvent): void {
    const {object, old} = event
    if (object.kind !== watcher.type.kind) return
    if (watcher.namespace !== undefined && object.metadata.namespace !== watcher.namespace) return
    const now = event.type !== 'DELETED' && watcher.matches(object)
    const before = old !== undefined && watcher.matches(old)
    if (event.type === 'DELETED') {
      if (before || watcher.matches(object)) watcher.sink.event('DELETED', object)
    } else if (now && before) watcher.sink.event('MODIFIED', object)
    else if (now) watcher.sink.event('ADDED', object)
    else if (before) watcher.sink.event('DELETED', object)
  }

  /**
   * Starts a watch. `from` undefined or 0: synthetic ADDED events for what exists, then live
   * events. Otherwise the history after `from` is replayed; 'gone' when it was compacted away.
   */
  watch(
    type: ResourceType,
    namespace: string | undefined,
    matches: (object: KubeObject) => boolean,
    from: number | undefined,
    sink: WatchSink,
  ): 'gone' | (() => void) {
    if (from !== undefined && from > 0 && from < this.compactedRevision) return 'gone'
    const watcher: Watcher = {type, namespace, matches, sink}
    if (from === undefined || from === 0) {
      for (const object of this.list(type.kind, namespace)) if (matches(object)) sink.event('ADDED', object)
    } else {
      for (const event of this.history) if (event.rv > from) this.deliver(watcher, event)
    }
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }

  /** Drops the history: a watch resuming from an older resourceVersion gets 410; open watches end. */
  compact(): void {
    this.compactedRevision = this.revision
    this.history = []
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher)
      watcher.sink.close()
    }
  }

  closeWatches(): void {
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher)
      watcher.sink.close()
    }
  }
}
