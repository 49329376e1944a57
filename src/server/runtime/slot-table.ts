// The dynos that exist: one slot per dyno record, made on first use and dropped when the record
// goes (or, for a one-off, when it has ended), and the starts in flight that a close waits on.
import type {DynoRecord} from '../store/index.js'
import type {ManagedDyno} from './contracts.js'
import {DynoSlot, type SlotServices} from './dyno-slot.js'

export class SlotTable {
  private readonly slots = new Map<string, DynoSlot>()
  private readonly starts = new Set<Promise<void>>()
  private readonly services: SlotServices

  constructor(services: Omit<SlotServices, 'track'>) {
    const track = (start: Promise<void>): void => {
      this.starts.add(start)
      void start.finally(() => this.starts.delete(start))
    }
    this.services = {...services, track}
  }

  /** The record's slot, made (idle) if it has none. */
  for(record: DynoRecord): DynoSlot {
    let slot = this.slots.get(record.id)
    if (!slot) {
      slot = new DynoSlot(record, this.services)
      this.slots.set(record.id, slot)
    }
    return slot
  }

  get(dynoId: string): DynoSlot | undefined {
    return this.slots.get(dynoId)
  }

  /** Whether this very slot is still the one of its dyno (not dropped, not replaced). */
  owns(dyno: ManagedDyno): boolean {
    return this.slots.get(dyno.dynoId) === dyno
  }

  all(): IterableIterator<DynoSlot> {
    return this.slots.values()
  }

  ofApp(appId: string): DynoSlot[] {
    return [...this.slots.values()].filter((s) => s.appId === appId)
  }

  /** The slot goes, with its timers. */
  drop(slot: DynoSlot): void {
    slot.disarmAll()
    this.slots.delete(slot.dynoId)
  }

  /** Settles once every start in flight has its process (or has failed). */
  async started(): Promise<void> {
    await Promise.all([...this.starts])
  }
}
