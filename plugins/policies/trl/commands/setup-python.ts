import { Flags } from '@oclif/core';
import { defineCommand } from '../../../../framework/plugin.js';
import { defaultVenv, PythonEnvironmentError, requirementsFile, setupPython, venvProblem, venvPython } from '../environment.js';

export default defineCommand({
  summary: 'Make the Python environment the trl backend trains in.',
  description: `Creates a virtual environment (python3 -m venv; default $TWENTYQ_HOME/python, TWENTYQ_HOME defaulting to ~/.cache/twentyq) and installs the pinned requirements of the trl backend with pip (plugins/policies/trl/requirements-cpu.txt, or requirements-gpu.txt with --gpu), streaming pip's output. An environment already set up from the same requirements is reused at once. The trl policy then finds it by itself (its python option or TWENTYQ_PYTHON take precedence).`,
  examples: ['<%= config.bin %> setup python', '<%= config.bin %> setup python --gpu', '<%= config.bin %> setup python --check'],
  flags: {
    venv: Flags.string({ description: 'Where the environment goes (default: $TWENTYQ_HOME/python).', helpValue: 'DIR' }),
    gpu: Flags.boolean({ default: false, description: 'Install the GPU set (CUDA torch and vLLM) instead of the CPU set.' }),
    force: Flags.boolean({ default: false, description: 'Run pip again even when the environment is up to date.' }),
    check: Flags.boolean({ default: false, description: 'Only say whether the environment is there and up to date (exit code 1 when not); install nothing.' }),
  },
  async run({ flags }, io) {
    const venv = flags.venv ?? defaultVenv();
    const requirements = requirementsFile(flags.gpu === true);
    if (flags.check) {
      const problem = venvProblem(venv, requirements);
      if (problem) throw new PythonEnvironmentError(`${problem}: run \`twentyq setup python${flags.gpu ? ' --gpu' : ''}${flags.venv ? ` --venv ${flags.venv}` : ''}\` to make it`);
      io.log(`${venvPython(venv)}: up to date with ${requirements}`);
      return;
    }
    const { python, installed } = await setupPython({ venv, gpu: flags.gpu === true, force: flags.force === true, log: (line) => io.logToStderr(line) });
    io.log(installed ? `${python}: installed ${requirements}` : `${python}: up to date with ${requirements}`);
  },
});
