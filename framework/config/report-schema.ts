import { Type, type Static } from '@sinclair/typebox';
import { defaulted } from '../util/typebox.js';

const EMBEDDINGS = Type.Object(
  {
    base_url: Type.String({
      minLength: 1,
      pattern: '^https?://',
      description: 'The URL under which /embeddings is served, e.g. http://127.0.0.1:8000/v1 (`twentyq serve`) or https://api.openai.com/v1.',
    }),
    model: Type.String({ minLength: 1, description: 'The embedding model sent with each request, e.g. embed:hash (twentyq serve) or text-embedding-3-small.' }),
    api_key_env: defaulted(
      Type.Unsafe<string | null>({
        type: ['string', 'null'],
        default: null,
        description: 'Environment variable that holds the API key (read from the environment only); null (the default): the endpoint takes no key.',
      }),
    ),
    timeout: defaulted(Type.Number({ exclusiveMinimum: 0, default: 60, description: 'Seconds one request may take before it is abandoned (and retried).' })),
    max_retries: defaulted(Type.Integer({ minimum: 0, default: 3, description: 'Retries of a request after a 429, a 5xx, a timeout or a reset connection.' })),
    batch: defaulted(Type.Integer({ minimum: 1, maximum: 2048, default: 64, description: 'Texts embedded per request.' })),
  },
  {
    additionalProperties: false,
    description:
      "An OpenAI-compatible /v1/embeddings endpoint: the evaluation gap then also shows, for each evaluated policy, the mean cosine similarity of the embedding of its games' question texts to the expert's games of the same target (the best of them), and its rank correlation with efficiency. Called through the endpoint layer of the api policy (retries, response cache). An endpoint that cannot be reached leaves the score out, with the reason, and never fails the run. `twentyq serve` serves a deterministic one as model embed:hash.",
  },
);

export const REPORT = Type.Object({ embeddings: Type.Optional(EMBEDDINGS) }, { additionalProperties: false, description: "What the report (report.html at the end of a run, and `twentyq report`) computes beyond the run's files." });

/** The endpoint whose /embeddings the report's evaluation gap measures the embedding cosine with. */
export type EmbeddingsSettings = Static<typeof EMBEDDINGS>;
export type ReportSettings = Static<typeof REPORT>;
