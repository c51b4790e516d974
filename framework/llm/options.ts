import { Type, type Static, type TObject } from '@sinclair/typebox';
import { defaulted } from '../util/typebox.js';

const properties = {
  base_url: defaulted(
    Type.String({
      default: 'https://api.openai.com/v1',
      description: 'The endpoint: the URL under which /chat/completions is served (e.g. http://127.0.0.1:8000/v1 for vLLM or `transformers serve`).',
    }),
  ),
  model: Type.String({ minLength: 1, description: 'The model name sent with each request (a served LoRA adapter is named here too).' }),
  /** null: the endpoint takes no key (a local server); a placeholder is sent. */
  api_key_env: defaulted(
    Type.Unsafe<string | null>({
      type: ['string', 'null'],
      default: 'OPENAI_API_KEY',
      description: 'Environment variable that holds the API key; the key is read from the environment only and never written anywhere. null: the endpoint takes no key (a local server).',
    }),
  ),
  temperature: Type.Optional(Type.Number({ minimum: 0, description: 'Sampling temperature; 0 is greedy. When it is above 0 (or left to the server), cached responses are keyed by game seed and turn too.' })),
  top_p: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Nucleus sampling; left to the server when absent.' })),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Most tokens per reply; left to the server when absent.' })),
  seed: Type.Optional(Type.Integer({ description: 'Sampling seed sent to the server (honoured by vLLM and `transformers serve`, best effort at OpenAI).' })),
  timeout: defaulted(Type.Number({ exclusiveMinimum: 0, default: 120, description: 'Seconds one request may take before it is abandoned (and retried).' })),
  max_retries: defaulted(
    Type.Integer({
      minimum: 0,
      default: 6,
      description: 'Retries of a request after a 429, a 5xx, a timeout or a reset connection, with exponential backoff honouring Retry-After; all calls to an endpoint also share one retry budget.',
    }),
  ),
  concurrency: defaulted(Type.Integer({ minimum: 1, default: 64, description: 'Most requests in flight to the endpoint at once.' })),
  requests_per_minute: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Requests per minute the endpoint allows; requests are spaced evenly. No limit when absent.' })),
  tokens_per_minute: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Tokens per minute the endpoint allows (estimated from the prompt before a request, corrected from its usage). No limit when absent.' })),
  extra_body: Type.Optional(
    Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      description: "Passed through in the request body, e.g. vLLM's { structured_outputs: ... } or { chat_template_kwargs: { enable_thinking: false } } for Qwen3.",
    }),
  ),
  price: Type.Optional(
    Type.Object(
      {
        input: Type.Number({ minimum: 0, description: 'Dollars per million prompt tokens.' }),
        output: Type.Number({ minimum: 0, description: 'Dollars per million completion tokens.' }),
      },
      { additionalProperties: false, description: 'Price per million tokens, for the cost figures; no cost is shown without it.' },
    ),
  ),
};

/**
 * The options that every plugin talking to an OpenAI-compatible endpoint shares (the `api` policy,
 * the `llm` answerer): spread ENDPOINT_OPTIONS.properties into the plugin's schema (`model` is
 * required). The schema is the one place the defaults live, and the options' type.
 */
export const ENDPOINT_OPTIONS = { properties, required: ['model'] as const };

export type EndpointOptions = Static<TObject<typeof properties>>;
