// Preloaded into the Duetime process by the memory bench only:
//   node --expose-gc --import ./bench/gc-on-signal.js bin/duetime.js serve ...
// On SIGUSR2 it runs a full garbage collection and prints "bench-gc-done" to stderr, so heap
// figures can be read on live objects rather than on garbage left by 100,000 HTTP requests.
// Each collection prints "bench-gc-done <n>", n counting up, so a reader can wait for its own.
// It changes nothing else in the process.

const gc = globalThis.gc;
if (typeof gc === 'function') {
  let collections = 0;
  process.on('SIGUSR2', () => {
    gc();
    process.stderr.write(`bench-gc-done ${++collections}\n`);
  });
}
