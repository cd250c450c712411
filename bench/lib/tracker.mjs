// Everything the benchmark starts, remembered by identity (pid + start time, so a pid the system
// has reused for a stranger is never killed), so that nothing outlives the run, even on an error.
import { descendantsOf, identify, isAlive, readStat } from '../../dist/platform/posix/proc.js';

export class Tracker {
  #known = new Map();

  add(pid) {
    const who = identify(pid);
    if (who !== null) this.#known.set(`${who.pid}:${who.startTime}`, who);
  }

  /** The process and everything below it now (a host's children). */
  addTree(pid) {
    this.add(pid);
    for (const p of descendantsOf(pid)) this.#known.set(`${p.pid}:${p.startTime}`, p);
  }

  /** The tracked processes still alive (zombies are dead). */
  alive() {
    return [...this.#known.values()].filter(isAlive);
  }

  /**
   * SIGKILLs every tracked process still alive and whatever runs below it now, and the process
   * group of each that leads one.
   */
  killAll() {
    for (const who of this.alive()) this.addTree(who.pid);
    for (const who of this.alive()) {
      if (readStat(who.pid)?.pgrp === who.pid) sigkill(-who.pid);
      sigkill(who.pid);
    }
  }
}

function sigkill(target) {
  try {
    process.kill(target, 'SIGKILL');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}
