/**
 * The dependency rules `npm test` holds the code to (npm run deps): a built-in plugin reaches the
 * framework through its public entry only, as a plugin written outside this repository must; and the
 * framework knows no particular plugin, only the tables of what the plugins contribute.
 */
module.exports = {
  forbidden: [
    {
      name: 'plugins-use-the-public-entry',
      comment: "A plugin imports the framework only through framework/plugin.ts ('twentyq/plugin'): export what it needs from there.",
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^framework/', pathNot: '^framework/plugin\\.ts$' },
    },
    {
      name: 'framework-names-no-plugin',
      comment: 'The framework reads what plugins contribute from the tables plugins/index.ts and plugins/commands.ts, and imports no plugin.',
      severity: 'error',
      from: { path: '^framework/' },
      to: { path: '^plugins/', pathNot: '^plugins/(index|commands)\\.ts$' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: { path: '^(framework|plugins)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
