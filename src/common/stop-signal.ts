/** Resolves with the name of the first SIGINT or SIGTERM, for long-running commands that then close cleanly. */
export function waitForStopSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const stop = (name: 'SIGINT' | 'SIGTERM'): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(name);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
