import { createInterface } from 'node:readline';
import { Flags } from '@oclif/core';
import { DEFAULT_PLUGINS } from '../../plugins/builtins.js';
import { PluginFactory } from '../../plugins/factory.js';
import { Interrupted, playAsAnswerer, playAsQuestioner, refFromFlag, type Io } from '../interactive.js';
import { TwentyqCommand } from '../shared.js';

/**
 * Reads lines from stdin whether it is a terminal or a pipe (lines that arrive early are kept). Ctrl-C
 * (seen by readline on a terminal, as a signal otherwise) makes the pending question reject.
 */
function terminalIo(): Io & { close(): void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
  const lines = rl[Symbol.asyncIterator]();
  let interrupt = () => {};
  const interrupted = new Promise<never>((_, reject) => (interrupt = () => reject(new Interrupted())));
  interrupted.catch(() => undefined);
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  return {
    async ask(prompt) {
      process.stdout.write(prompt);
      const next = await Promise.race([lines.next(), interrupted]);
      if (next.done) {
        process.stdout.write('\n');
        return undefined;
      }
      if (!process.stdin.isTTY) process.stdout.write(next.value + '\n');
      return next.value;
    },
    say: (line) => void process.stdout.write(line + '\n'),
    close() {
      process.off('SIGINT', interrupt);
      rl.close();
    },
  };
}

export default class Play extends TwentyqCommand {
  static override summary = 'Play a game in the terminal: as the questioner against an answerer, or as the answerer for a policy.';
  static override description = `As the questioner (default) you ask questions in plain words ("Does it have stripes?") and guess ("Is it a zebra?"); the answerer plugin answers. A question the answerer does not understand is said so and not counted, as is a guess of a name that is none of the candidates ("Is it a piran?"); "questions" lists the ones it knows, "list" the candidates (the domain's animals, fruit, ...). Ctrl-C stops (exit code 130). As the answerer you think of a candidate and answer the policy's questions with y, n or u. Plugins are given by name or path, or as YAML: --policy '{use: infogain, with: {temperature: 0.5}}'.`;
  static override examples = ['<%= config.bin %> play', '<%= config.bin %> play --target zebra', '<%= config.bin %> play --as answerer --policy infogain', '<%= config.bin %> play --list'];
  static override flags = {
    as: Flags.option({ options: ['questioner', 'answerer'] as const, default: 'questioner', description: 'Your role.' })(),
    answerer: Flags.string({ default: DEFAULT_PLUGINS.answerer, description: 'Answerer plugin, when you ask.' }),
    policy: Flags.string({ default: DEFAULT_PLUGINS.policy, description: 'Policy plugin, when you answer.' }),
    domain: Flags.string({ default: DEFAULT_PLUGINS.domain, description: 'Domain: a table file (.csv, .yaml), a plugin name or path, or YAML.' }),
    target: Flags.string({ description: 'The candidate the answerer thinks of (name or alias); random when absent.' }),
    seed: Flags.integer({ description: 'Seed for the random target and the policy (default: from the clock).' }),
    'max-questions': Flags.integer({ min: 1, default: 20, description: 'Question budget.' }),
    'wrong-guess': Flags.option({ options: ['continue', 'lose'] as const, default: 'continue', description: 'What a wrong guess does.' })(),
    list: Flags.boolean({ description: 'Print the candidates and exit.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Play);
    const options = {
      domain: refFromFlag(flags.domain),
      rules: { max_questions: flags['max-questions'], wrong_guess: flags['wrong-guess'] },
      answerer: refFromFlag(flags.answerer),
      policy: refFromFlag(flags.policy),
      target: flags.target,
      seed: flags.seed ?? Date.now() % 2 ** 31,
      baseDir: process.cwd(),
    };
    if (flags.list) {
      const factory = await PluginFactory.forDomain(options.domain, options.rules, options.baseDir);
      this.log(factory.domain.candidates.map((c) => (c.aliases.length > 0 ? `${c.name} (${c.aliases.join(', ')})` : c.name)).join('\n'));
      return;
    }
    const io = terminalIo();
    try {
      await (flags.as === 'answerer' ? playAsAnswerer(options, io) : playAsQuestioner(options, io));
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      process.stdout.write(`\n${error.message}\n`);
      return this.exit(130);
    } finally {
      io.close();
    }
  }
}
