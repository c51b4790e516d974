/**
 * twentyq's public plugin API, what a plugin written outside this repository imports:
 *
 *   import { definePlugin, type Policy } from 'twentyq/plugin';
 *
 * The plugin kinds and their contracts, the game's types, the domain, the chat rendering that every
 * model backend shares, and the reply parser. Everything else in the package is internal.
 */
export type * from './plugins/types.js';
export type * from './game/types.js';
export type { ChatMessage, RenderOptions } from './game/chat.js';
export type { Attribute, Candidate, DomainData } from './game/domain.js';
export type { PreferencePair, SftRow, TrainingSet } from './data/dataset.js';
export type { GameSpec } from './game/engine.js';
export type { Rng } from './util/rng.js';
export { definePlugin, isTrainable, KINDS } from './plugins/types.js';
// Options are declared with TypeBox: the schema is the type. Plugins take it from here, not from typebox.
export { Type } from '@sinclair/typebox';
export type { Static, TObject, TSchema } from '@sinclair/typebox';
export { choice, defaulted, withDefault } from './util/typebox.js';
export { DEFAULT_RULES } from './game/types.js';
export { Domain, guessQuestion, NO, UNKNOWN, withArticle, YES } from './game/domain.js';
export { answererPrompt, answerText, DEFAULT_PERSONA, DEFAULT_RENDER, OPENING, readAnswer, readMove, renderAnswererPrompt, renderGame, renderPrompt, systemPrompt } from './game/chat.js';
export type { ChatTool, ToolCall, ToolChatMessage } from './game/tools.js';
export { gameTools, moveFromToolCall, moveToToolCall, renderToolGame, renderToolPrompt } from './game/tools.js';
export { parseMove } from './game/parse.js';
