// A process that does nothing but stay alive, started by the steady stages when they trace
// (BENCH_STEADY_TRACE=1) with bench/lib/trace-preload.js loaded and, where allowed, the highest
// scheduling priority. It needs almost no CPU, so at that priority it runs whenever it asks to:
// an event-loop gap it records is a stall of the machine itself (the VM paused, the kernel
// busy), not the other processes' CPU, which is what tells the two apart during an episode.

import { setInterval } from 'node:timers';

setInterval(() => {}, 1_000);
console.log('listening 0');
