import type { Command } from 'commander';
import { MODE_NAMES } from '../sim/mode-names.js';
import { UsageError } from './exit-codes.js';
import { durationOption, nonNegativeIntOption } from './options.js';

interface ChaosFlags {
  control: string;
  fault?: string;
  seed?: number;
  per?: string;
  status?: number;
  delay?: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('chaos')
    .description('switch the fault mode of `shield sim` or `shield chaos-proxy`, or show its status')
    .argument('<mode>', `status, or one of ${MODE_NAMES.join(', ')}`)
    .argument('[value]', "the mode's value: slow <duration>, error [status], flaky <rate 0..1>")
    .option('--control <url>', 'control API of the simulator or proxy', 'http://127.0.0.1:9623')
    .option('--fault <kind>', 'flaky: the fault a failing request gets (hang, slow, error, reset, garbage)')
    .option('--seed <n>', 'flaky: PRNG seed, so runs are reproducible', nonNegativeIntOption)
    .option('--per <unit>', 'flaky: draw per request or per connection')
    .option('--status <code>', 'flaky with --fault error: the HTTP status', nonNegativeIntOption)
    .option('--delay <duration>', 'flaky with --fault slow: the delay', durationOption)
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  shield chaos down\n  shield chaos up\n  shield chaos slow 30s\n  shield chaos error 503\n' +
        '  shield chaos flaky 0.5 --fault hang --seed 7\n  shield chaos status --control http://127.0.0.1:9623',
    )
    .action(async (name: string, value: string | undefined, flags: ChaosFlags) => {
      const { createChaosControl } = await import('../sim/control-client.js');
      const { modeFromWords } = await import('../sim/chaos-args.js');
      const { formatStatus } = await import('../sim/format.js');
      const control = createChaosControl(flags.control);
      let status;
      if (name === 'status') {
        if (value !== undefined) throw new UsageError(`status takes no value (got '${value}')`);
        status = await control.status();
      } else {
        status = await control.setMode(modeFromWords(name, value, flags));
      }
      console.log(flags.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });
}
