// A completion hook shared by every engine: the last step of a workflow bumps a counter, so the harness
// learns cheaply when all runs have (almost) finished and then confirms it once through the engine's
// own read API. Polling the store continuously would steal CPU from the engine under test.
export const hooks = {
  lastSteps: 0,
  waiters: [],
  lastStep() {
    this.lastSteps++;
    if (this.waiters.length) {
      this.waiters = this.waiters.filter((w) => {
        if (this.lastSteps >= w.target) {
          w.resolve();
          return false;
        }
        return true;
      });
    }
  },
  reached(target) {
    if (this.lastSteps >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  },
};
