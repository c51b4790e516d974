import {
  callOptions,
  type ChatReply,
  chatRequest,
  choice,
  DEFAULT_RENDER,
  defaulted,
  definePlugin,
  type Domain,
  ENDPOINT_OPTIONS,
  endpointPreflight,
  type EndpointOptions,
  gameTools,
  type GameView,
  LAUNCH_OPTIONS,
  type ModelEndpoint,
  type Move,
  moveFromToolCall,
  type Policy,
  readMove,
  renderPrompt,
  renderToolPrompt,
  replyText,
  type RequestMessage,
  type Rules,
  type Static,
  type TObject,
  Type,
  usageOf,
} from '../../framework/plugin.js';

/** How a questioner model is asked: as text read by the reply parser, or through the ask and guess tools. */
export const QUESTIONER_OPTIONS = {
  format: defaulted(
    choice(['text', 'tools'], {
      default: 'text',
      description: 'text: the move is the reply, read by the reply parser; tools: the model calls ask(question) or guess(animal).',
    }),
  ),
  show_candidates: defaulted(Type.Boolean({ default: true, description: 'List the candidates in the system prompt (the closed-set game).' })),
};

export type QuestionerOptions = EndpointOptions & Static<TObject<typeof QUESTIONER_OPTIONS>>;

/** A chat model as the questioner, through an endpoint: the part the `api` and `vllm` policies share. */
export function questioner(options: QuestionerOptions, { domain, rules }: { domain: Domain; rules: Rules; label: string }, endpoint: ModelEndpoint): Policy {
  const render = { ...DEFAULT_RENDER, show_candidates: options.show_candidates };
  const tools = options.format === 'tools' ? gameTools(domain) : undefined;
  const prompt = (view: GameView): RequestMessage[] => (tools ? renderToolPrompt(domain, rules, view.turns, render) : renderPrompt(domain, rules, view.turns, render));
  const move = (reply: ChatReply): Move => {
    const call = reply.tool_calls[0];
    return call ? moveFromToolCall(call, domain) : readMove(replyText(reply), domain);
  };
  return {
    concurrency: options.concurrency,
    act: (views, signal) =>
      Promise.all(
        views.map(async (view): Promise<Move> => {
          // the game's own stream keys a sampled reply to this game and turn: distinct, yet the same on a rerun
          const position = { seed: Math.floor(view.rng.next() * 2 ** 32), turn: view.turns.length };
          const reply = await endpoint.chat(chatRequest(options, prompt(view), tools), { ...callOptions(options), signal, position });
          const raw = reply.tool_calls.length > 0 ? `${reply.text}${JSON.stringify(reply.tool_calls.map((c) => c.function))}` : reply.text;
          return { ...move(reply), raw, usage: usageOf(reply) };
        }),
      ),
  };
}

export default definePlugin({
  kind: 'policy',
  name: 'api',
  description:
    'A chat model behind any OpenAI-compatible endpoint (OpenAI, vLLM, `transformers serve`, `twentyq serve`) as the questioner: it reads the game as a chat and replies with a question or a guess, as text or through the ask and guess tools.',
  runs: 'waiting',
  options: Type.Object({ ...ENDPOINT_OPTIONS.properties, ...LAUNCH_OPTIONS.properties, ...QUESTIONER_OPTIONS }, { additionalProperties: false }),
  preflight: (options) => endpointPreflight(options),
  launches: (options) => (options.launch === undefined ? [] : [options.launch]),
  async create(options, { domain, rules, label = 'api', models }) {
    return questioner(options, { domain, rules, label }, await models.endpoint(options, label));
  },
});
