// The zone's SOA serial: strictly increasing on every change, and across restarts when the previous
// serial is known (from the zone file): max(previous + 1, unix time in seconds).
import { type Clock, systemClock } from "../core/clock.js";

/** Serials are 32-bit; unix time reaches that in 2106. */
const MAX_SERIAL = 0xffffffff;

export class ZoneSerial {
  private value: number;

  constructor(
    previous?: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.value = this.after(previous ?? 0);
  }

  get current(): number {
    return this.value;
  }

  /** Moves to the next serial and returns it. */
  bump(): number {
    this.value = this.after(this.value);
    return this.value;
  }

  private after(serial: number): number {
    return Math.min(Math.max(serial + 1, Math.floor(this.clock.now() / 1000)), MAX_SERIAL);
  }
}
