import {
  type AnswerReply,
  callOptions,
  chatRequest,
  DEFAULT_PERSONA,
  defaulted,
  definePlugin,
  ENDPOINT_OPTIONS,
  endpointPreflight,
  LAUNCH_OPTIONS,
  readAnswer,
  renderAnswererPrompt,
  replyText,
  Type,
  usageOf,
  withDefault,
} from '../../framework/plugin.js';

export default definePlugin({
  kind: 'answerer',
  name: 'llm',
  description:
    'A chat model playing the child who knows the secret (GPT-4.1-mini in the original study), behind any OpenAI-compatible endpoint. Its reply is read as yes, no or unknown (a reply that is none of them counts as unknown, and is counted); every stage reports its agreement with the truth table.',
  runs: 'waiting',
  options: Type.Object(
    {
      ...ENDPOINT_OPTIONS.properties,
      ...LAUNCH_OPTIONS.properties,
      temperature: withDefault(ENDPOINT_OPTIONS.properties.temperature, 0),
      persona: defaulted(Type.String({ minLength: 1, default: DEFAULT_PERSONA, description: 'Who the answerer is told it is: the first line of its system prompt.' })),
    },
    { additionalProperties: false },
  ),
  preflight: (options) => endpointPreflight(options),
  launches: (options) => (options.launch === undefined ? [] : [options.launch]),
  async create(options, { domain, label = 'llm', models }) {
    const endpoint = await models.endpoint(options, label);
    return {
      concurrency: options.concurrency,
      async answer(question, target, history, rng, signal): Promise<AnswerReply> {
        const request = chatRequest(options, renderAnswererPrompt(domain, target, history, question.text, options.persona));
        // a sampling child keys its cached replies by game and turn (drawn only then, so a greedy child leaves the stream alone)
        const position = options.temperature === 0 ? undefined : { seed: Math.floor(rng.next() * 2 ** 32), turn: history.length };
        const reply = await endpoint.chat(request, { ...callOptions(options), signal, position });
        return {
          answer: readAnswer(replyText(reply)) ?? 'unknown',
          raw: reply.text,
          usage: usageOf(reply),
        };
      },
    };
  },
});
