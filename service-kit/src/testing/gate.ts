/**
 * A latch for fake servers and proxies at the network edge: requests that reach it wait
 * until the test releases it, and the test learns when the first one arrived. A test that
 * needs "the first request is still running" waits for that event, never for a guessed
 * number of milliseconds.
 */
export interface Gate {
  /** Resolves once a request has reached the gate. */
  readonly arrived: Promise<void>;
  /** How many requests have reached the gate so far. */
  readonly arrivals: number;
  /** For the server side: records an arrival, then resolves when the test releases the gate. */
  pass(): Promise<void>;
  /** Lets every held request through, and every later one straight away. */
  release(): void;
}

export function createGate(): Gate {
  let signalArrival!: () => void;
  let open!: () => void;
  const arrived = new Promise<void>((resolve) => (signalArrival = resolve));
  const released = new Promise<void>((resolve) => (open = resolve));
  let arrivals = 0;
  return {
    arrived,
    get arrivals() {
      return arrivals;
    },
    pass() {
      arrivals += 1;
      signalArrival();
      return released;
    },
    release: () => open(),
  };
}
