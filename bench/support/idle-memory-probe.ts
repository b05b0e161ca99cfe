// Preloaded (--import) into the server by bench/cold-start.ts, with --expose-gc: on the message
// 'memory' it runs full garbage collections and answers process.memoryUsage(). Not part of Keyway.
// V8 keeps the young generation at the size start-up grew it to until its memory reducer runs after
// some seconds of idleness, so the bench also asks once after a settling time.
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message) => {
  if (message !== 'memory' || !gc || !process.send) return;
  // Two passes: the first may only queue finalizers whose memory the second frees.
  gc();
  gc();
  process.send(process.memoryUsage());
});
// The IPC channel must not keep a server that is stopping alive.
process.channel?.unref();
