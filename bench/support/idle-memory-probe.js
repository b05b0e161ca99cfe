// Preloaded (--import) into the server by bench/cold-start.ts, with --expose-gc: on the message
// 'memory' it runs full garbage collections and answers process.memoryUsage(). Not part of Keyway.
// JavaScript, not TypeScript: a preloaded .ts file would load Node's type stripper (some 10 MB) into
// the server before bin/keyway.js turns the compile cache on, and the bench would measure the probe.
// V8 keeps the young generation at the size start-up grew it to until its memory reducer runs after
// some seconds of idleness, so the bench also asks once after a settling time.
const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
process.on('message', (message) => {
  if (message !== 'memory' || !gc || !process.send) return;
  // Two passes: the first may only queue finalizers whose memory the second frees.
  gc();
  gc();
  process.send(process.memoryUsage());
});
// The IPC channel must not keep a server that is stopping alive.
process.channel?.unref();
