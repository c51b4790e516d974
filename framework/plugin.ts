/**
 * twentyq's public plugin API, what a plugin written outside this repository imports, and the only
 * module the built-in plugins import (a dependency rule of `npm test` holds them to it):
 *
 *   import { definePlugin, type Policy } from 'twentyq/plugin';
 *
 * The plugin kinds and their contracts, the game's types, the domain, the knowledge that experts
 * compute with, the chat rendering and reply parsing that every model backend shares, the model
 * endpoint layer, the training jobs and stage helpers, and what a plugin contributes besides plugins
 * (CLI commands, row formats). Everything else in the package is internal. The surface is frozen by
 * etc/twentyq-plugin.api.md: a change to it is a reviewed change (`npm run api`).
 */

// The contracts
export type * from './plugins/types.js';
export { definePlugin, isJob, isTrainable, KINDS, stageTraining } from './plugins/types.js';
export type { RawRef } from './plugins/ref.js';
export type { BuiltinTable, Loader } from './plugins/registry.js';
export { UserError } from './plugins/errors.js';
export { pluginContext } from './plugins/factory.js';

// Options: declared with TypeBox, the schema is the type. Plugins take it from here, not from typebox.
export { Type } from '@sinclair/typebox';
export type { Static, TObject, TSchema } from '@sinclair/typebox';
export { choice, defaulted, withDefault } from './util/typebox.js';
export { compileSchema, describeError, formatAjvErrors } from './config/schema.js';

// The game
export type * from './game/types.js';
export { DEFAULT_RULES } from './game/types.js';
export type { Attribute, Candidate, Domain, DomainData } from './game/domain.js';
export { createDomain, guessQuestion, NO, UNKNOWN, YES } from './game/domain.js';
/** How candidate names are compared: case, articles, punctuation and plurals aside. */
export { nameKey } from './util/text.js';
export type { GameSpec, Players } from './game/engine.js';
export { playGames } from './game/engine.js';
export { parseMove } from './game/parse.js';
export { AttributeMatcher } from './game/matcher.js';
export { questionReader, type Meaning } from './game/meaning.js';
export { Regret, RegretError, type RegretSetup, type TurnRegret } from './game/regret.js';
export type { AttributeMatch } from './game/matcher.js';

// What experts compute with: beliefs over the candidates, information gain, exact bounds and trees
export { Belief, countWhere, informationGain, informationGain3, members, split, truthMasks } from './game/belief.js';
export type { TruthMasks } from './game/belief.js';
export { optimalMeans } from './game/bounds.js';
export { ternaryTable } from './game/tree.js';
export type { SearchControl, Semantics, TreeBound, TreeNode, TreeOptions } from './game/tree.js';
export { cachedTree } from './game/tree-cache.js';
export { GreedyRule, type GreedyMove } from './game/greedy.js';

// A game as a chat: rendering, and reading replies
export type { ChatMessage, RenderOptions } from './game/chat.js';
export { answerText, answerWord, DEFAULT_PERSONA, DEFAULT_RENDER, OPENING, readAnswer, readMove, renderAnswererPrompt, renderGame, renderPrompt, systemPrompt } from './game/chat.js';
export type { ChatTool, ToolCall, ToolChatMessage } from './game/tools.js';
export { gameTools, moveFromToolCall, renderToolPrompt } from './game/tools.js';

// Models behind OpenAI-compatible endpoints: the run's layer (PluginContext.models), one client, rate limiter, retry budget and response cache per run
export type { CallOptions, ChatReply, ChatRequest, ChatMessage as RequestMessage } from './llm/client.js';
export { callOptions, chatRequest } from './llm/client.js';
export type { ModelEndpoint, Models } from './llm/layer.js';
export { replyText, usageOf } from './llm/layer.js';
export type { EndpointOptions } from './llm/options.js';
export { ENDPOINT_OPTIONS } from './llm/options.js';
export type { LaunchOption } from './llm/launches.js';
export { LAUNCH_OPTIONS } from './llm/launches.js';
export { endpointPreflight } from './llm/preflight.js';

// Training data
export type { DataStats, DpoSet, GrpoSet, PreferencePair, SftRow, SftSet, TrainingSet } from './data/dataset.js';
export { isSet, median } from './data/dataset.js';
export type { GameSource } from './data/games.js';
export { collect } from './data/games.js';
export type { FormatTable, RowFormat } from './data/format.js';

// Plumbing a backend needs: seeds, files, processes it starts, the package's own files; CLI commands it contributes
export { deriveSeed, Rng } from './util/rng.js';
export { writeFileAtomic } from './util/fs.js';
export { PROCESSES_DIR, recordProcess } from './util/processes.js';
export { packagePath, twentyqHome } from './util/paths.js';
export { findCommand } from './util/commands.js';
export type { CommandDef, CommandIO, CommandTable } from './plugins/command.js';
export { defineCommand } from './plugins/command.js';
