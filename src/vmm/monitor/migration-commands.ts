/**
 * The monitor's migration commands, spelled as QEMU 7.2's HMP spells them: `migrate`,
 * `migrate_cancel`, `migrate_set_parameter`, `info migrate`, `info migrate_parameters`;
 * and ngkvm's `info ramhash` (a digest of guest RAM, to compare both ends at the switch).
 */
import { splitWords } from './parser.js';
import type { CommandContext, CommandTable } from './registry.js';
import type { MonitorMigration } from './machine.js';

function migration(ctx: CommandContext): MonitorMigration {
  const m = ctx.machine.migration;
  if (m === undefined) throw new Error('this machine cannot be migrated');
  return m;
}

export function addMigrationCommands(top: CommandTable, info: CommandTable): void {
  top
    .add({
      name: 'migrate',
      args: [{ name: 'uri', kind: 'rest' }],
      params: '[-d] uri',
      help: 'migrate to URI: tcp:HOST:PORT (live, in the background; -d is accepted and implied) or file:PATH (a snapshot, written now)',
      run: (ctx, args) => {
        const words = splitWords(args.get('uri') as string) ?? [];
        const rest = words.filter((w) => w !== '-d');
        const flag = rest.find((w) => w.startsWith('-'));
        if (flag !== undefined) throw new Error(`migrate: unknown flag ${flag} (ngkvm's migrate takes -d only)`);
        if (rest.length !== 1) throw new Error('migrate: give one URI (tcp:HOST:PORT or file:PATH)');
        migration(ctx).start(rest[0]!);
      },
    })
    .add({
      name: 'migrate_cancel',
      args: [],
      params: '',
      help: 'cancel the current VM migration',
      run: (ctx) => migration(ctx).cancel(),
    })
    .add({
      name: 'migrate_set_parameter',
      args: [
        { name: 'parameter', kind: 'string' },
        { name: 'value', kind: 'string' },
      ],
      params: 'parameter value',
      help: 'set a migration parameter: downtime-limit MS (the longest the guest may stop for the final copy; default 300)',
      run: (ctx, args) => migration(ctx).setParameter(args.get('parameter') as string, args.get('value') as string),
    });
  info
    .add({
      name: 'migrate',
      args: [],
      params: '',
      help: 'show migration status',
      run: (ctx) => ctx.print(migration(ctx).info()),
    })
    .add({
      name: 'migrate_parameters',
      args: [],
      params: '',
      help: 'show current migration parameters',
      run: (ctx) => ctx.print(migration(ctx).parameters()),
    })
    .add({
      name: 'ramhash',
      args: [],
      params: '',
      help: 'show a SHA-256 digest of all guest RAM (ngkvm; compare two machines after a migration)',
      run: (ctx) => ctx.print(`sha256 ${migration(ctx).ramDigest()}\n`),
    });
}
